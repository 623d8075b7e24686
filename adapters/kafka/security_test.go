package kafka_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/kafka"
	"github.com/eppokit/eppokit/batching"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kfake"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestTLSAndSASLThroughTransport runs a broker that speaks only TLS and requires SASL/PLAIN: the sink
// delivers through a kafka-go Transport (and through a Dialer) carrying both, and a wrong password is a
// permanent failure.
func TestTLSAndSASLThroughTransport(t *testing.T) {
	cert, pool := selfSigned(t)
	c := startCluster(t, 3, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}}),
		kfake.EnableSASL(), kfake.Superuser("PLAIN", "eppo", "s3cret"))
	clientTLS := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	good := plain.Mechanism{Username: "eppo", Password: "s3cret"}

	for _, tc := range []struct {
		name string
		cfg  kafka.Config
	}{
		{"Transport", kafka.Config{Transport: &kafkago.Transport{TLS: clientTLS, SASL: good}}},
		{"Dialer", kafka.Config{Dialer: &kafkago.Dialer{TLS: clientTLS, SASLMechanism: good, Timeout: 5 * time.Second}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Brokers = c.ListenAddrs()
			s := newSink(t, tc.cfg)
			sent := adapterstest.Encode(t, s, adapterstest.Events(tc.name, 40, 9))
			if err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: sent}); err != nil {
				t.Fatalf("Export over TLS + SASL/PLAIN: %v", err)
			}
		})
	}
	if n := storedRecords(c); n != 80 {
		t.Fatalf("broker holds %d records, want 80", n)
	}

	t.Run("WrongPassword", func(t *testing.T) {
		s := newSink(t, kafka.Config{Brokers: c.ListenAddrs(),
			Transport: &kafkago.Transport{TLS: clientTLS, SASL: plain.Mechanism{Username: "eppo", Password: "wrong"}}})
		sent := adapterstest.Encode(t, s, adapterstest.Events("denied", 5, 9))
		err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: sent})
		if err == nil {
			t.Fatal("Export with a wrong password succeeded")
		}
		t.Logf("wrong password: %v (permanent: %v)", err, batching.IsPermanent(err))
		if n := storedRecords(c); n != 80 {
			t.Fatalf("broker holds %d records after a refused login, want 80", n)
		}
	})
}

// storedRecords counts the records on both topics.
func storedRecords(c *kfake.Cluster) int64 {
	n := int64(0)
	for _, topic := range topics {
		for _, p := range c.PartitionInfos(topic) {
			n += p.HighWatermark
		}
	}
	return n
}
