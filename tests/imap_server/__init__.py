"""A private, throwaway Dovecot IMAP server for tests of the email channel.

The package: `server` (the process, its files and users), `mailbox` (what a test does over
IMAP: deliver, read back, rebuild a folder), `config` (the dovecot.conf it writes) and `system`
(the binary, its system users, ports).

Each `DovecotServer` is its own Dovecot (Debian's `dovecot-imapd`), started as a child process
in the foreground (`dovecot -F -c <conf>`) with everything under one temp directory: the
config, the passwd-file of users, `base_dir` (sockets, pid file), `state_dir`, the log and the
Maildir store. It listens on 127.0.0.1 only, on a free port of its own, with plain-text LOGIN
and no TLS, so parallel test workers (`-n auto`) never share a port, a store or a socket.

    with DovecotServer() as server:
        uid = server.deliver("support@desk.example", raw_message)
        host, port = server.address
        password = server.users["support@desk.example"]

Who runs what (Dovecot refuses some of it as root):
- As root (CI): the master runs as root, as Dovecot expects. Dovecot will not run its login
  processes as root ("This process must not be run as root") nor touch mail as root ("Mail
  access not allowed for root"), so the login processes run as `dovenull`, the internal
  services (auth) as `dovecot` - both system users that `dovecot-core` creates - and the
  mail store is owned by `nobody:nogroup`: the users' homes are made and chowned to it here.
  The temp directory is made world-traversable (0755) for them; it holds only throwaway data.
- As any other user: Dovecot's non-root mode - every process, and the store, is that user.

Messages go in over IMAP (APPEND), as a mail server's delivery would leave them, and every
helper reads back over IMAP, never from the files. Mail is CRLF on the wire: a message given
with CRLF line ends comes back byte for byte; bare LFs come back as CRLF (imaplib and any
IMAP server do that).
"""

from tests.imap_server.server import DEFAULT_LOGINS, DovecotServer, dovecot_fixture
from tests.imap_server.system import DovecotError

__all__ = ["DEFAULT_LOGINS", "DovecotError", "DovecotServer", "dovecot_fixture"]
