package main

import (
	"fmt"

	"github.com/caplab/caplab/policy"
)

func (c *cli) id18(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(c.stderr, "caplab: usage: caplab id18 ID...")
		return exitUsage
	}
	code := exitOK
	for _, id := range args {
		out, err := policy.ID18(id)
		if err != nil {
			fmt.Fprintf(c.stderr, "caplab: %s: %v\n", id, err)
			code = exitUsage
			continue
		}
		fmt.Fprintln(c.stdout, out)
	}
	return code
}

func (c *cli) installURL(args []string) int {
	fs := c.newFlags("install-url")
	domain := fs.String("my-domain", "", "the subscriber org's My Domain (acme, acme--uat or a full *.my.salesforce.com host)")
	appID := fs.String("app-id", "", "the connected app's 0Ci id (from the owner org's App Manager)")
	orgID := fs.String("org-id", "", "the 00D id of the org that owns the app")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) > 0 {
		fmt.Fprintf(c.stderr, "caplab: install-url takes flags only; unexpected %q\n", pos[0])
		return exitUsage
	}
	for _, f := range []struct{ name, v string }{{"my-domain", *domain}, {"app-id", *appID}, {"org-id", *orgID}} {
		if f.v == "" { // in flag order, so a bad call always names the same flag
			fmt.Fprintf(c.stderr, "caplab: --%s is required\n", f.name)
			return exitUsage
		}
	}
	u, err := policy.InstallURL(*domain, *appID, *orgID)
	if err != nil {
		fmt.Fprintln(c.stderr, "caplab:", err)
		return exitUsage
	}
	fmt.Fprintln(c.stdout, u)
	return exitOK
}
