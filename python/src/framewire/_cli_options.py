"""What the two command lines share: the usage error, the help format, the TLS options.

``framewire`` (framewire.cli) and the conformance runner (framewire.conformance.cli) both
take ``--tls`` and its PEM files. The runner must not load the implementation it judges
(FW-CNF-4), so this module uses the standard library only; the caller passes the function
that builds a client context.
"""

from __future__ import annotations

import argparse
import ssl
from collections.abc import Callable


class UsageError(Exception):
    """Bad options or bad input syntax: exit code 2."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The help text, the same on every supported Python, as the guide's transcripts show
    it. Python 3.13's argparse writes an option's arguments once, after its last option
    string, and counts a subcommand's indentation in the width of the name column; here
    each option string has its arguments (``-f FRAMING, --framing FRAMING``), and the
    column is as wide as the longest name, as before 3.13."""

    def add_argument(self, action: argparse.Action) -> None:
        if action.help is argparse.SUPPRESS:
            return
        invocations = [self._format_action_invocation(action)]
        invocations += [
            self._format_action_invocation(subaction)
            for subaction in self._iter_indented_subactions(action)
        ]
        width = max(map(len, invocations)) + self._current_indent
        self._action_max_length = max(self._action_max_length, width)
        self._add_item(self._format_action, [action])

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if not action.option_strings or action.nargs == 0:
            return super()._format_action_invocation(action)
        arguments = self._format_args(action, self._get_default_metavar_for_optional(action))
        return ", ".join(f"{option} {arguments}" for option in action.option_strings)


def add_tls_options(parser: argparse.ArgumentParser, *, server: bool) -> None:
    """``--tls`` and the PEM files that go with it (spec section 12)."""
    group = parser.add_argument_group("TLS")
    group.add_argument("--tls", action="store_true", help="run the connection over TLS")
    if server:
        group.add_argument("--certfile", help="PEM file of the server's certificate chain")
        group.add_argument("--keyfile", help="PEM file of its private key (default: in --certfile)")
        group.add_argument("--cafile", help="PEM file of CAs that clients must be signed by")
    else:
        group.add_argument("--cafile", help="PEM file of the CAs to trust (default: the system's)")
        group.add_argument(
            "--server-name", help="name the certificate must carry (default: the address's host)"
        )
        group.add_argument(
            "--certfile", help="PEM file of a client certificate, for a server that asks for one"
        )
        group.add_argument("--keyfile", help="PEM file of its private key (default: in --certfile)")


def tls_client_options(
    args: argparse.Namespace,
    client_context: Callable[[str | None, str | None, str | None], ssl.SSLContext],
) -> tuple[ssl.SSLContext | None, str | None]:
    """The client context, built by `client_context` from ``--cafile``, ``--certfile``
    and ``--keyfile``, and the server name, from ``--tls`` and friends (None: plain TCP).

    A file that cannot be loaded is a usage error, reported in one line.
    """
    if not args.tls:
        if args.cafile or args.server_name or args.certfile or args.keyfile:
            raise UsageError("--cafile, --server-name, --certfile and --keyfile need --tls")
        return None, None
    if args.keyfile and not args.certfile:
        raise UsageError("--keyfile goes with --certfile (the certificate it is the key of)")
    try:
        context = client_context(args.cafile, None, None)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot load --cafile {args.cafile}: {file_error_reason(exc)}") from None
    if args.certfile:
        try:
            context = client_context(args.cafile, args.certfile, args.keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(certificate_error(exc, args.certfile, args.keyfile)) from None
    return context, args.server_name


def certificate_error(exc: OSError, certfile: str, keyfile: str | None) -> str:
    """One line for a certificate and key that cannot be loaded: OpenSSL's "PEM lib" says
    neither which file nor what is wrong, and most often the key is missing."""
    files = f"--certfile {certfile}" + (f" and --keyfile {keyfile}" if keyfile else "")
    reason = file_error_reason(exc)
    if isinstance(exc, ssl.SSLError) and (
        exc.reason in {"PEM_LIB", "NO_START_LINE"} or "PEM lib" in str(exc)
    ):
        reason = (
            "no private key found: give it with --keyfile, or append it to the --certfile"
            if keyfile is None
            else "a file is not a PEM certificate or key"
        )
    elif isinstance(exc, ssl.SSLError) and exc.reason == "KEY_VALUES_MISMATCH":
        reason = "the key is not the certificate's"
    return f"cannot load {files}: {reason}"


def file_error_reason(exc: OSError) -> str:
    """The useful part of a file or OpenSSL error (no errno and no C source position)."""
    if isinstance(exc, ssl.SSLError):
        return str(exc.reason or exc).lower().replace("_", " ")
    return f"{exc.strerror or exc}"
