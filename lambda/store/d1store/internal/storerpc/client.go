package storerpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Client calls a Handler at URL.
type Client struct {
	URL  string // the server's base URL
	HTTP *http.Client
}

// call calls target.method(ctx, args...) and decodes its results into
// results (pointers, in order). A sentinel error comes back as itself.
func (c *Client) call(ctx context.Context, target, method string, args []any, results ...any) error {
	body, err := json.Marshal(args)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/rpc/"+target+"/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("storerpc %s.%s: %w", target, method, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4*maxCallBytes))
	if err != nil {
		return fmt.Errorf("storerpc %s.%s: %w", target, method, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("storerpc %s.%s: %s: %s", target, method, resp.Status, bytes.TrimSpace(b))
	}
	var ans answer
	if err := json.Unmarshal(b, &ans); err != nil {
		return fmt.Errorf("storerpc %s.%s: %w", target, method, err)
	}
	if len(ans.Results) != len(results) {
		return fmt.Errorf("storerpc %s.%s: %d results, want %d", target, method, len(ans.Results), len(results))
	}
	for i, r := range results {
		if err := json.Unmarshal(ans.Results[i], r); err != nil {
			return fmt.Errorf("storerpc %s.%s: result %d: %w", target, method, i, err)
		}
	}
	if e := ans.Error; e != nil {
		if s, ok := sentinels[e.Sentinel]; ok {
			return s
		}
		return errors.New(e.Message)
	}
	return nil
}
