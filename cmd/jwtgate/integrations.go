package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	neturl "net/url"
	"os"
	"strings"

	"github.com/jwtgate/jwtgate/policyfile"
)

// integrationsUsage is the text of jwtgate integrations without (or with
// a wrong) subcommand.
const integrationsUsage = `Usage:
  jwtgate integrations list [--tenant T]
  jwtgate integrations get NAME --tenant T [-o yaml|json]
  jwtgate integrations apply -f FILE [--dry-run]
  jwtgate integrations delete NAME --tenant T [--yes]
  jwtgate integrations test NAME --tenant T TOKEN|-
  jwtgate integrations export [--tenant T] [-o FILE]

Manages the integrations stored through jwtgate serve's admin API (/v1/admin/…).
Every subcommand takes --server URL (default $JWTGATE_SERVER, else
http://127.0.0.1:8080) and the credential, an operator token or a tenant admin
credential, from --token-file FILE or $JWTGATE_ADMIN_TOKEN (never as a flag's
value, which anyone could read in the process list).
Run "jwtgate integrations SUBCOMMAND -h" for its flags.
`

// Environment variables of the admin commands.
const (
	envAdminServer = "JWTGATE_SERVER"
	envAdminToken  = "JWTGATE_ADMIN_TOKEN"
	defaultServer  = "http://127.0.0.1:8080"
	// maxTokenFileBytes bounds --token-file: a credential is short.
	maxTokenFileBytes = 4 << 10
)

// integrationsCommands are the subcommands of jwtgate integrations.
var integrationsCommands = map[string]func(context.Context, []string, io.Reader, io.Writer, io.Writer) int{
	"list":   runIntegrationsList,
	"get":    runIntegrationsGet,
	"apply":  runIntegrationsApply,
	"delete": runIntegrationsDelete,
	"test":   runIntegrationsTest,
	"export": runIntegrationsExport,
}

func runIntegrations(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if sub, ok := integrationsCommands[args[0]]; ok {
			return sub(ctx, args[1:], stdin, stdout, stderr)
		}
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			fmt.Fprint(stdout, integrationsUsage)
			return exitOK
		}
		fmt.Fprintf(stderr, "jwtgate integrations: unknown subcommand %q\n\n", args[0])
	}
	fmt.Fprint(stderr, integrationsUsage)
	return exitUsage
}

// adminFlags are the flags every admin subcommand takes.
type adminFlags struct {
	server, tokenFile, tenant *string
}

// addAdminFlags adds --server, --token-file and, unless tenantHelp is
// empty (a subcommand without one), --tenant to fs.
func addAdminFlags(fs *flag.FlagSet, tenantHelp string) adminFlags {
	server := os.Getenv(envAdminServer)
	if server == "" {
		server = defaultServer
	}
	f := adminFlags{
		server:    fs.String("server", server, "URL of jwtgate serve (default $"+envAdminServer+", else "+defaultServer+")"),
		tokenFile: fs.String("token-file", "", "file holding the admin credential (default: $"+envAdminToken+")"),
		tenant:    new(string),
	}
	if tenantHelp != "" {
		fs.StringVar(f.tenant, "tenant", "", tenantHelp)
	}
	return f
}

// client checks --server and reads the credential; not ok means exit
// with code (a usage error, said on stderr).
func (f adminFlags) client(fs *flag.FlagSet, stderr io.Writer) (*adminClient, int, bool) {
	if u, err := neturl.Parse(*f.server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, usageError(fs, stderr, "--server: want an http(s) URL such as %s, found %q", defaultServer, *f.server), false
	}
	token, err := f.credential()
	if err != nil {
		return nil, usageError(fs, stderr, "%v", err), false
	}
	return newAdminClient(*f.server, token), 0, true
}

// credential is the admin credential: --token-file's content, else
// $JWTGATE_ADMIN_TOKEN, surrounding whitespace trimmed.
func (f adminFlags) credential() (string, error) {
	if *f.tokenFile == "" {
		if tok := strings.TrimSpace(os.Getenv(envAdminToken)); tok != "" {
			return tok, nil
		}
		return "", fmt.Errorf("no admin credential: give --token-file FILE or set %s (an operator token or a tenant admin credential)", envAdminToken)
	}
	data, err := policyfile.ReadFile(*f.tokenFile, maxTokenFileBytes)
	if err != nil {
		return "", fmt.Errorf("--token-file: %v", err)
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", fmt.Errorf("--token-file: %s is empty", *f.tokenFile)
	}
	return tok, nil
}

// tenantClient is client for a subcommand of one tenant's integration:
// a usage error when --tenant is missing.
func (f adminFlags) tenantClient(fs *flag.FlagSet, stderr io.Writer) (*adminClient, int, bool) {
	if *f.tenant == "" {
		return nil, usageError(fs, stderr, "--tenant is required"), false
	}
	return f.client(fs, stderr)
}
