package main

// Binary logistic regression trained by full-batch gradient descent with
// Adam step sizes and a small L2 penalty on the weights (not the bias).
// Everything is sequential float64 arithmetic in a fixed order, so a given
// data set always gives the same weights on a given platform.

import (
	"math"
	"sort"
)

type logreg struct {
	w    []float64
	bias float64
}

type fitConfig struct {
	iters int     // gradient steps
	lr    float64 // Adam step size
	l2    float64 // L2 penalty on weights
}

// fit trains on rows x (n×d, row-major) with labels y.
func fit(x []float64, y []bool, d int, cfg fitConfig) logreg {
	n := len(y)
	const beta1, beta2, eps = 0.9, 0.999, 1e-8
	params := make([]float64, d+1) // weights, then bias
	grad := make([]float64, d+1)
	m := make([]float64, d+1)
	v := make([]float64, d+1)
	for it := 1; it <= cfg.iters; it++ {
		for j := range grad {
			grad[j] = 0
		}
		for i := 0; i < n; i++ {
			row := x[i*d : (i+1)*d]
			z := params[d]
			for j, xj := range row {
				z += float64(params[j] * xj)
			}
			g := sigmoid(z)
			if y[i] {
				g -= 1
			}
			for j, xj := range row {
				grad[j] += float64(g * xj)
			}
			grad[d] += g
		}
		for j := range grad {
			grad[j] /= float64(n)
			if j < d {
				grad[j] += float64(cfg.l2 * params[j])
			}
			m[j] = float64(beta1*m[j]) + float64((1-beta1)*grad[j])
			v[j] = float64(beta2*v[j]) + float64((1-beta2)*grad[j]*grad[j])
			mh := m[j] / (1 - math.Pow(beta1, float64(it)))
			vh := v[j] / (1 - math.Pow(beta2, float64(it)))
			params[j] -= cfg.lr * mh / (math.Sqrt(vh) + eps)
		}
	}
	return logreg{w: params[:d], bias: params[d]}
}

// predict returns the probability for one row.
func (lr logreg) predict(row []float64) float64 {
	z := lr.bias
	for j, xj := range row {
		z += float64(lr.w[j] * xj)
	}
	return sigmoid(z)
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// logLoss is the mean negative log-likelihood of labels y under scores p.
func logLoss(p []float64, y []bool) float64 {
	var s float64
	for i := range p {
		q := math.Min(math.Max(p[i], 1e-12), 1-1e-12)
		if y[i] {
			s -= math.Log(q)
		} else {
			s -= math.Log(1 - q)
		}
	}
	return s / float64(len(p))
}

// auc is the area under the ROC curve (Mann–Whitney U; ties count half).
func auc(p []float64, y []bool) float64 {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && p[idx[j]] == p[idx[i]] {
			j++
		}
		avgRank := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if y[idx[k]] {
				rankSum += avgRank
				pos++
			}
		}
		i = j
	}
	neg = float64(len(p)) - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
