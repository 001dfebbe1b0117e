package signature

import "testing"

// BenchmarkVerify measures one successful verification per scheme over a
// ~7 KB GitHub payload (octokit's push example), one secret configured.
func BenchmarkVerify(b *testing.B) {
	body := readTestdata(b, "github/push.json")
	for _, c := range schemeCases() {
		b.Run(c.name, func(b *testing.B) {
			v := mustNew(b, c.scheme, Config{Secrets: c.secrets[:1], Options: c.options})
			req := &Request{Header: c.sign(0, body, testNow), Body: body, Now: testNow}
			if err := v.Verify(req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := v.Verify(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
