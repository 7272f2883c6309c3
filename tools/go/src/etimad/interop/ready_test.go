package interop

import "testing"

// The ready-line parser is the one piece of the harness that runs without a daemon.
func TestParseReadyLine(t *testing.T) {
	ep, err := parseReadyLine("etimadd ready public=127.0.0.1:4001 agency=127.0.0.1:4002 " +
		"metrics=127.0.0.1:4003 ca=/d/tls/ca.pem agency-ca=/d/tls/agency-ca.pem\n")
	if err != nil {
		t.Fatal(err)
	}
	want := endpoints{public: "127.0.0.1:4001", agency: "127.0.0.1:4002", metrics: "127.0.0.1:4003",
		ca: "/d/tls/ca.pem", agencyCA: "/d/tls/agency-ca.pem"}
	if ep != want {
		t.Errorf("got %+v, want %+v", ep, want)
	}

	for _, bad := range []string{
		"etimadd starting",
		"etimadd ready public=127.0.0.1:1 agency=127.0.0.1:2 metrics=127.0.0.1:3 ca=/ca.pem",
		"etimadd ready public= agency=127.0.0.1:2 metrics=127.0.0.1:3 ca=/a agency-ca=/b",
		"etimadd ready public agency=127.0.0.1:2 metrics=127.0.0.1:3 ca=/a agency-ca=/b",
	} {
		if _, err := parseReadyLine(bad); err == nil {
			t.Errorf("parseReadyLine(%q) succeeded, want an error", bad)
		}
	}
}
