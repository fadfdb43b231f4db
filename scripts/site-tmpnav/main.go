package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir("site")))
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go http.Serve(ln, mux)
	base := "http://" + ln.Addr().String() + "/"
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath("/usr/bin/chromium"), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true))
	defer cancel()
	for _, nb := range []bool{false, true} {
		var opts []chromedp.ContextOption
		if nb {
			opts = append(opts, chromedp.WithNewBrowserContext())
		}
		browser, c := chromedp.NewContext(alloc)
		chromedp.Do(browser)
		ctx, c2 := chromedp.NewContext(browser, opts...)
		for i := 0; i < 3; i++ {
			tctx, c3 := context.WithTimeout(ctx, 15*time.Second)
			t0 := time.Now()
			err := chromedp.Do(tctx, chromedp.Navigate(base+fmt.Sprintf("?i=%d", i)))
			fmt.Println("newBrowserCtx", nb, i, err, time.Since(t0))
			c3()
		}
		c2()
		c()
	}
}
