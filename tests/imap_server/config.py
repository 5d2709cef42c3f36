"""The dovecot.conf of a private test server (Dovecot 2.3 and 2.4 spellings)."""

from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path

from tests.imap_server.system import (
    HOST,
    ROOT_INTERNAL_USER,
    ROOT_LOGIN_USER,
    dovecot_version,
    identities,
)


def dovecot_config(directory: Path, port: int, token: str, extra: str) -> str:
    uid, gid = identities()["mail"]
    if os.geteuid() == 0:
        internal_user, login_user, login_chroot = ROOT_INTERNAL_USER, ROOT_LOGIN_USER, "login"
        internal_group = ""  # the internal user's group
    else:
        internal_user = login_user = pwd.getpwuid(os.geteuid()).pw_name
        internal_group = f"default_internal_group = {grp.getgrgid(os.getegid()).gr_name}"
        login_chroot = ""  # only root can chroot: see `unchrooted` below for the others
    users = directory / "users"
    common = f"""
base_dir = {directory / "run"}
state_dir = {directory / "state"}
instance_name = dovecot-test-{token}
log_path = {directory / "dovecot.log"}
info_log_path = {directory / "dovecot.log"}
protocols = imap
listen = {HOST}
ssl = no
login_greeting = Dovecot test {token} ready.
auth_mechanisms = plain login
auth_cache_size = 0
auth_failure_delay = 0
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
first_valid_gid = {gid}
default_internal_user = {internal_user}
default_login_user = {login_user}
{internal_group}
# The list index caches each folder's UIDVALIDITY; reset_uidvalidity changes INBOX on disk.
mailbox_list_index = no
shutdown_clients = yes
"""
    if dovecot_version() < (2, 4):
        specific = f"""
disable_plaintext_auth = no
auth_username_format = %u
mail_location = maildir:~/Maildir:INBOX=~/inbox
passdb {{
  driver = passwd-file
  args = {users}
}}
userdb {{
  driver = passwd-file
  args = {users}
}}
service imap-login {{
  chroot = {login_chroot}
  inet_listener imap {{
    address = {HOST}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        header = ""
    else:  # Dovecot 2.4 renamed most of these; written from its documentation
        specific = f"""
auth_allow_cleartext = yes
auth_username_format = %{{user}}
mail_driver = maildir
mail_path = ~/Maildir
mail_inbox_path = ~/inbox
namespace inbox {{
  inbox = yes
  separator = .
}}
passdb passwd-file {{
  passwd_file_path = {users}
}}
userdb passwd-file {{
  passwd_file_path = {users}
}}
service imap-login {{
  chroot = {login_chroot}
  inet_listener imap {{
    listen = {HOST}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        header = "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n"
    unchrooted = ""
    if os.geteuid() != 0:  # services that chroot by default; 2.4 dropped the last three
        names = ["anvil", "ipc", "imap-urlauth-login"]
        if dovecot_version() < (2, 4):
            names += ["old-stats", "aggregator", "director"]
        unchrooted = "".join(f"service {name} {{\n  chroot =\n}}\n" for name in names)
    return (
        f"{header}# Written by tests/imap_server/config.py\n{common}{specific}{unchrooted}{extra}\n"
    )
