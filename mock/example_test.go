package mock_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/loadplan/loadplan/mock"
)

// Start a mock in-process, send it a chat message, and read back what it billed. With a seed,
// the same user's requests get the same answers every time.
func ExampleStart() {
	ctx := context.Background()
	cfg, err := mock.Profile("default")
	if err != nil {
		panic(err)
	}
	cfg.Seed, cfg.TimeScale = 42, 0 // no delays: this is an example
	url, stop, err := mock.Start(ctx, cfg)
	if err != nil {
		panic(err)
	}
	defer stop()

	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+mock.PathChatMessage,
		strings.NewReader(`{"message": "Which project fits a team of five?", "max_tokens": 512}`))
	req.Header.Set(mock.UserHeader, "user-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	ledger, err := mock.FetchLedger(ctx, http.DefaultClient, url)
	if err != nil {
		panic(err)
	}
	fmt.Println(ledger.Requests[mock.PathChatMessage])
	fmt.Printf("%+v\n", ledger.Tokens)
	fmt.Println("USD", ledger.Cost)
	// Output:
	// map[200:1]
	// {Input:144 Output:255 CacheRead:0 CacheWrite:1000}
	// USD 0.008007
}
