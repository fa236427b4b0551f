/** The help texts: `porthole --help`, `porthole forward --help`. Kept in step with the README. */
export const MAIN_HELP = `porthole: reach the ports of your containers through a Porthole server.

usage:
  porthole login [--url URL] [--token TOKEN]
  porthole forward create <container> <port> [--name NAME] [--local-port PORT]
                          [--domain DOMAIN] [--json]
  porthole forward ls <container> [--json]
  porthole forward rm <container> <forward id> [--json]
  porthole forward link <container> <forward id> [--json]
  porthole forward domain <container> <forward id> <domain | --clear> [--json]
  porthole connect <forward id | websocket url> [--local-port PORT] [--bind ADDRESS]
  porthole connect --stdio <forward id | websocket url>

login     check a server URL and token, and save them (mode 0600) in
          $XDG_CONFIG_HOME/porthole/config.json (~/.config/porthole/config.json)
forward   create, list and remove port forwards of a container; link gives a one-time
          address that opens a forward in a browser; domain sets or clears the host
          name a forward also answers on (pro and enterprise plans)
connect   listen on a local port (default: any free one, on 127.0.0.1) and open one
          tunnel per connection; with --stdio, one tunnel on stdin/stdout, e.g.
          ssh -o ProxyCommand='porthole connect --stdio %h' user@pf_abc

PORTHOLE_URL and PORTHOLE_TOKEN, when set, win over the saved login.
Exit codes: 0 done, 1 refused or failed, 2 bad command line.
`;

export const FORWARD_HELP = `usage:
  porthole forward create <container> <port> [--name NAME] [--local-port PORT]
                          [--domain DOMAIN] [--json]
  porthole forward ls <container> [--json]
  porthole forward rm <container> <forward id> [--json]
  porthole forward link <container> <forward id> [--json]
  porthole forward domain <container> <forward id> <domain | --clear> [--json]

<container> is a container's name, short id or full id. --local-port asks for that
port on the Porthole host (see "local_port" in the README); --domain, or domain later,
gives the forward a custom domain it also answers on, and domain --clear takes it away
(README "Custom domains"); link prints a one-time address that opens the forward in a
browser (README "Browsers"); --json prints the API's JSON.
`;

export const CONNECT_HELP = `usage:
  porthole connect <forward id | websocket url> [--local-port PORT] [--bind ADDRESS]
  porthole connect --stdio <forward id | websocket url>

Listens on ADDRESS:PORT (default 127.0.0.1, any free port) and opens one tunnel per
accepted connection. Ctrl-C closes every tunnel and exits. With --stdio the tunnel runs
on stdin/stdout instead, for ssh's ProxyCommand. A forward id needs the server URL
(porthole login or PORTHOLE_URL); a websocket url (ws:// or wss://) needs only the token.
`;
