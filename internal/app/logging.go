package app

import (
	"fmt"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hookflow/hookflow/config"
)

// NewLogger builds the process logger from the config.
func NewLogger(c config.Log) (*zap.Logger, error) {
	var level zapcore.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("config: log.level: %w", err)
	}
	zc := zap.NewProductionConfig()
	if c.Format == "console" {
		zc = zap.NewDevelopmentConfig()
		zc.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
	}
	zc.Development = c.Development
	zc.Level = zap.NewAtomicLevelAt(level)
	zc.DisableStacktrace = !c.Development
	return zc.Build()
}

// temporalLogger adapts zap to the Temporal SDK's key-value logger.
type temporalLogger struct{ s *zap.SugaredLogger }

func newTemporalLogger(l *zap.Logger) temporalLogger {
	// The SDK is chatty at info about routine poller events; keep its
	// warnings and errors, which is what an operator acts on.
	return temporalLogger{l.Named("temporal").WithOptions(zap.IncreaseLevel(zap.WarnLevel)).Sugar()}
}

func (t temporalLogger) Debug(msg string, kv ...any) { t.s.Debugw(msg, kv...) }
func (t temporalLogger) Info(msg string, kv ...any)  { t.s.Infow(msg, kv...) }
func (t temporalLogger) Warn(msg string, kv ...any)  { t.s.Warnw(msg, kv...) }
func (t temporalLogger) Error(msg string, kv ...any) { t.s.Errorw(msg, kv...) }
