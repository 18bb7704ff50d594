"""The `mitra` console script, run as a subprocess: help, one-line errors, createuser."""

from __future__ import annotations

import re
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.clitools import mitra_env, run_mitra

STRONG = "a long enough passphrase 42"


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{text}"
    assert "Traceback" not in text
    return lines[0]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    env = mitra_env(tmp)
    result = run_mitra("migrate", "--no-input", env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return env


def listed_commands(env) -> list[str]:
    result = run_mitra("--help", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: mitra COMMAND")
    return re.findall(r"^  (\S+)\s", result.stdout, flags=re.M)


def test_help_lists_the_commands(tmp_path):
    commands = listed_commands(mitra_env(tmp_path))
    for name in ("serve", "migrate", "demo", "createuser", "totp", "check"):
        assert name in commands


def test_every_command_has_help(tmp_path):
    env = mitra_env(tmp_path)
    commands = listed_commands(env)
    assert len(commands) >= 8
    # Each is a real process start (about 3 s on a slow core); two at a time.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda name: run_mitra(name, "--help", env=env), commands)
    for name, result in zip(commands, results, strict=True):
        assert result.returncode == 0, f"mitra {name} --help: {result.stderr}"
        assert "usage:" in result.stdout, name
        assert not result.stderr.strip(), f"mitra {name} --help wrote to stderr: {result.stderr}"


@pytest.mark.parametrize("args, names", [
    (["nosuchcommand"], "nosuchcommand"),
    (["demo", "--patients", "abc"], "--patients"),
    (["demo", "--days", "3"], "--days"),
    (["demo", "--patients", "2"], "--patients"),
    (["serve", "--port", "70000"], "--port"),
    (["serve", "--threads", "0"], "--threads"),
    (["serve", "--bogus"], "--bogus"),
    (["createuser", "someone"], "--role"),
    (["createuser", "someone", "--role", "wizard", "--password", STRONG], "wizard"),
])
def test_a_bad_argument_exits_2_with_one_line(tmp_path, args, names):
    result = run_mitra(*args, env=mitra_env(tmp_path))
    assert result.returncode == 2, result
    assert names in one_line(result.stderr)


def test_a_bad_setting_exits_with_one_line(tmp_path):
    result = run_mitra("check", env=mitra_env(tmp_path, DEBUG="yes"))
    assert result.returncode == 2
    assert one_line(result.stderr) == (
        "mitra: configuration error: DEBUG must be 'true' or 'false', not 'yes'"
    )


def _postgres_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _postgres_reachable(), reason="no PostgreSQL on 127.0.0.1:5432")
def test_a_missing_postgresql_database_gives_one_line(tmp_path):
    url = "postgres://postgres@127.0.0.1:5432/mitra_no_such_database_q7"
    result = run_mitra("migrate", env=mitra_env(tmp_path, url))
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith("mitra: database error:")
    assert "mitra_no_such_database_q7" in line and "does not exist" in line
    assert "check DATABASE_URL" in line


def test_an_unreachable_database_server_gives_one_line(tmp_path):
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_mitra("migrate", env=mitra_env(tmp_path, f"postgres://u@127.0.0.1:{port}/x"))
    assert result.returncode == 1
    assert "check DATABASE_URL" in one_line(result.stderr)


def test_a_sqlite_path_that_cannot_be_created_gives_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    url = f"sqlite:///{blocker}/sub/mitra.sqlite3"
    result = run_mitra("migrate", env=mitra_env(tmp_path, url))
    assert result.returncode != 0
    line = one_line(result.stderr)
    assert "DATABASE_URL" in line and "cannot create the folder" in line


def test_a_database_that_is_not_migrated_says_so(tmp_path):
    result = run_mitra("demo", env=mitra_env(tmp_path))
    assert result.returncode == 1
    assert "mitra migrate" in one_line(result.stderr)


def test_a_malformed_database_url_gives_one_line(tmp_path):
    result = run_mitra("check", env=mitra_env(tmp_path, "nosuchscheme://x"))
    assert result.returncode == 2
    assert one_line(result.stderr).startswith("mitra: configuration error: DATABASE_URL")


def test_an_unsupported_database_names_the_allowed_ones(tmp_path):
    result = run_mitra("migrate", env=mitra_env(tmp_path, "mysql://root@127.0.0.1/test"))
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "DATABASE_URL: mysql is not supported" in line
    assert "postgres://" in line and "sqlite:///" in line


def test_createuser_makes_a_clinician_on_a_team_who_sets_their_own_password(migrated):
    result = run_mitra("createuser", "drnew", "--role", "clinician", "--team", "Team North",
                       "--email", "drnew@example.org", "--print-link", env=migrated)
    assert result.returncode == 0, result.stderr
    assert "created clinician drnew in care team Team North" in result.stdout
    link = re.search(r"Invitation link \(valid once, for 7 days; give it to drnew only\): "
                     r"(\S+/accounts/invitation/[\w-]+/)", result.stdout)
    assert link, result.stdout
    assert "then set up their authenticator app (TOTP)" in result.stdout
    check = run_mitra("shell", "--no-imports", "-c", (
        "from mitra.accounts.models import Membership;"
        "m = Membership.objects.get(user__username='drnew');"
        "print(m.team.name, m.access, m.user.role, m.user.has_usable_password(),"
        " m.user.invitations.count())"
    ), env=migrated)
    # Nobody but the clinician will know the password: there is none until they set it.
    assert check.stdout.strip() == "Team North write clinician False 1", check.stderr
    # Patients join the same team; a scripted set-up may still give a patient a password.
    result = run_mitra("createuser", "newpat", "--role", "patient", "--team", "Team North",
                       "--display-name", "New Patient", "--password", STRONG, env=migrated)
    assert result.returncode == 0, result.stderr
    assert "Invitation" not in result.stdout


def test_createuser_mails_the_invitation_to_the_address_given(migrated):
    result = run_mitra("createuser", "drmail", "--role", "admin", "--email",
                       "drmail@example.org", env=migrated)
    assert result.returncode == 0, result.stderr
    assert "Invitation sent to drmail@example.org" in result.stdout
    # The console mail backend shows the mail itself: to the address, with the link.
    assert "To: drmail@example.org" in result.stdout
    assert "/accounts/invitation/" in result.stdout


@pytest.mark.parametrize("role", ["clinician", "admin", "researcher"])
def test_createuser_refuses_a_password_for_staff(migrated, role):
    result = run_mitra("createuser", f"staff-{role}", "--role", role, "--password", STRONG,
                       env=migrated)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "--password" in line and "patient only" in line and "invitation" in line
    from_env = run_mitra("createuser", f"staff-{role}", "--role", role,
                         env={**migrated, "MITRA_PASSWORD": STRONG})
    assert from_env.returncode == 2 and "MITRA_PASSWORD" in one_line(from_env.stderr)


@pytest.mark.parametrize("password, reason", [
    ("short1", "too short"),
    ("password1234", "too common"),
    ("739182736451928", "entirely numeric"),
])
def test_createuser_rejects_weak_passwords(migrated, password, reason):
    result = run_mitra("createuser", "weakling", "--role", "patient", "--team", "T",
                       "--password", password, env=migrated)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "--password" in line and reason in line
    exists = run_mitra("shell", "--no-imports", "-c", (
        "from mitra.accounts.models import User, CareTeam;"
        "print(User.objects.filter(username='weakling').exists(),"
        " CareTeam.objects.filter(name='T').exists())"
    ), env=migrated)
    assert exists.stdout.strip() == "False False"  # nothing half written


def test_createuser_refuses_a_taken_name_and_a_team_for_a_researcher(migrated):
    assert run_mitra("createuser", "res1", "--role", "researcher",
                     env=migrated).returncode == 0
    taken = run_mitra("createuser", "RES1", "--role", "researcher", env=migrated)
    assert taken.returncode == 2 and "already taken" in one_line(taken.stderr)
    team = run_mitra("createuser", "res2", "--role", "researcher", "--team", "X", env=migrated)
    assert team.returncode == 2 and "--team" in one_line(team.stderr)


def test_totp_refuses_a_real_account(migrated):
    run_mitra("createuser", "realdoc", "--role", "clinician", env=migrated)
    result = run_mitra("totp", "realdoc", env=migrated)
    assert result.returncode == 2
    assert "not a demo account" in one_line(result.stderr)


def test_audit_verify_checks_the_trail_of_a_fresh_database(migrated):
    run_mitra("createuser", "audited", "--role", "researcher", env=migrated)
    result = run_mitra("audit", "verify", env=migrated)
    assert result.returncode == 0, result.stderr
    assert re.match(r"audit trail intact: \d+ events", result.stdout)


def test_demo_shows_a_progress_bar_and_the_logins(tmp_path):
    env = mitra_env(tmp_path)
    assert run_mitra("migrate", "--no-input", env=env, timeout=300).returncode == 0
    result = run_mitra("demo", "--patients", "8", "--days", "20", env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "demo cohort" in result.stderr and "step" in result.stderr  # tqdm's bar
    assert "Created 8 synthetic patients over 20 days" in result.stdout
    assert "password for all: mitra-demo-2026" in result.stdout
    again = run_mitra("demo", "--if-empty", env=env)
    assert again.returncode == 0
    assert "was not added" in again.stdout
