package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"code.foss.global/push.rocks/smartvm/images"
)

func TestProgressWithoutTerminalPrintsLines(t *testing.T) {
	var b bytes.Buffer
	p := newProgressBar(&b)
	const u = "http://h/k"
	p.update(images.ProgressEvent{Name: "k", URL: u, Phase: images.PhaseDownload,
		Bytes: 1 << 20, Total: 3 << 20})
	p.update(images.ProgressEvent{Name: "k", URL: u, Phase: images.PhaseRetry, Attempt: 1,
		Err: errors.New("reset")})
	p.update(images.ProgressEvent{Name: "k", URL: u, Phase: images.PhaseDownload,
		Bytes: 3 << 20, Total: 3 << 20})
	p.update(images.ProgressEvent{Name: "k", URL: u, Phase: images.PhaseDone, Total: -1})
	want := "downloading k from http://h/k\n" +
		"k: attempt 1 failed (reset); retrying\n" +
		"k: done, 3.0 MiB downloaded\n"
	if b.String() != want {
		t.Errorf("progress output\n%q\nwant\n%q", b.String(), want)
	}
}

func TestBar(t *testing.T) {
	for _, c := range []struct {
		n, total int64
		want     string
	}{
		{0, 100, "[>                             ]   0%  0 B / 100 B"},
		{50, 100, "[===============>              ]  50%  50 B / 100 B"},
		{100, 100, "[==============================] 100%  100 B / 100 B"},
		{5 << 10, -1, "5.0 KiB received"},
	} {
		if got := bar(c.n, c.total); got != c.want {
			t.Errorf("bar(%d, %d) = %q, want %q", c.n, c.total, got, c.want)
		}
	}
}

func TestPrefixWriter(t *testing.T) {
	var b bytes.Buffer
	w := newPrefixWriter(&b, "A | ")
	for _, s := range []string{"smartvm tiny", " guest\ntick 1\nti", "ck 2\n"} {
		w.Write([]byte(s))
	}
	w.Write([]byte("tick"))
	w.mute()
	w.Write([]byte(" 3\n"))
	want := "A | smartvm tiny guest\nA | tick 1\nA | tick 2\nA | tick\n"
	if b.String() != want {
		t.Errorf("prefixed output %q, want %q", b.String(), want)
	}
}

func TestFirstTick(t *testing.T) {
	n, ok := firstTick([]byte("tick 7\ntick 8\ntick 9"))
	if !ok || n != 7 {
		t.Errorf("firstTick = %d, %v; want 7", n, ok)
	}
	if _, ok := firstTick([]byte("smartvm tiny guest\ntick 4")); ok {
		t.Error("firstTick counted an unfinished line")
	}
	if got := formatDuration(1500 * 1000); !strings.HasPrefix(got, "1.5 ms") {
		t.Errorf("formatDuration = %q", got)
	}
}
