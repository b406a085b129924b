"""Runs lit ShTest files in this process, so that pytest pays vtac's imports once, not per RUN line.

lit does the reading: it discovers the tests and loads ``lit.cfg``, parses the RUN lines and
applies the substitutions (``%s``, ``%t``, ``%roundtrip``, ...) exactly as ``lit`` would. The
commands run here: every ``&&``/``||``/``;`` operand is a pipeline, and a pipeline whose
commands are all ``vtac-opt``, ``vtac`` or ``filecheck`` (each optionally behind ``not``, with
``> FILE`` and ``2>&1`` redirections) calls those programs' ``main`` functions in-process, with
the piped text as stdin, their stdout/stderr captured and the exit status taken from their
return value or ``SystemExit``. Any other pipeline (``rm``, ``echo``, another program, another
redirection, a glob) goes to lit's own shell, which runs it as ``lit`` would. A pipeline
succeeds as under lit's ``pipefail``: when every command in it does.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import lit.discovery
import lit.formats
import lit.LitConfig
import lit.Test
import lit.TestRunner
from lit import ShUtil
from lit.ShCommands import Command, GlobItem, Pipeline, Seq

Main = Callable[[list[str]], object]

# vtac-opt flags that change process-wide state in xDSL (Attribute.__post_init__, Diagnostic
# colours): a pipeline using them runs in lit's shell, in processes of its own
GLOBAL_STATE_FLAGS = frozenset({"--disable-verify", "--syntax-highlight"})


def _vtac_opt(argv: list[str]) -> object:
    from vtac.opt import main

    return main(argv)


def _vtac(argv: list[str]) -> object:
    from vtac.cli import main

    return main(argv)


def _filecheck(argv: list[str]) -> object:
    from filecheck.main import main

    return main(["filecheck", *argv])


PROGRAMS: dict[str, Main] = {"vtac-opt": _vtac_opt, "vtac": _vtac, "filecheck": _filecheck}


@dataclass
class CommandResult:
    """One command's run: its words, exit status and output."""

    args: Sequence[str]
    status: int
    stdout: str
    stderr: str


@dataclass
class FileResult:
    """A lit file's run: passed when every RUN line succeeded; ``log`` tells what ran."""

    passed: bool
    log: list[str] = field(default_factory=list)
    delegated: int = 0  # pipelines run by lit's shell


def lit_config() -> lit.LitConfig.LitConfig:
    """A lit configuration like ``lit``'s own with default options."""
    return lit.LitConfig.LitConfig(
        progname="lit",
        path=[],
        diagnostic_level="note",
        useValgrind=False,
        valgrindLeakCheck=False,
        valgrindArgs=[],
        noExecute=False,
        debug=False,
        isWindows=sys.platform == "win32",
        order="lexical",
        params={},
    )


def discover(suite: Path) -> list[lit.Test.Test]:
    """The tests of the lit suite at ``suite`` (a directory or one file in a suite)."""
    return lit.discovery.find_tests_for_inputs(lit_config(), [str(suite)])


def run_file(path: Path) -> FileResult | lit.Test.Result:
    """Run the lit test file ``path``; a ``lit.Test.Result`` when lit would not run it
    (``UNSUPPORTED``, ``REQUIRES``, a malformed RUN line)."""
    (test,) = discover(path)
    test_format = test.config.test_format
    if not isinstance(test_format, lit.formats.ShTest) or test_format.execute_external:
        raise ValueError(f"{path}: not a test of lit's internal-shell ShTest format")
    script = lit.TestRunner.parseIntegratedTestScript(test, require_script=True)
    if isinstance(script, lit.Test.Result):
        return script
    script = list(test_format.preamble_commands) + script
    tmp_dir, tmp_base = lit.TestRunner.getTempPaths(test)
    substitutions = list(test_format.extra_substitutions)
    substitutions += lit.TestRunner.getDefaultSubstitutions(test, tmp_dir, tmp_base)
    script = lit.TestRunner.applySubstitutions(
        script,
        substitutions,
        {feature: True for feature in test.config.available_features},
        recursion_limit=test.config.recursiveExpansionLimit,
    )
    Path(tmp_base).parent.mkdir(parents=True, exist_ok=True)
    shell = Shell(test)
    result = FileResult(passed=True)
    for line in script:
        match = re.fullmatch(lit.TestRunner.kPdbgRegex, line)
        where, command = (match.group(1), match.group(2)) if match else ("RUN", line)
        result.log.append(f"# {where}: {command.strip()}")
        try:
            tree = ShUtil.ShParser(command, False, test.config.pipefail).parse()
        except Exception as err:  # noqa: BLE001 (lit reports these as unresolved tests)
            result.log.append(f"# error: lit cannot parse it: {err}")
            result.passed = False
            break
        if shell.run(tree, result) != 0:
            result.passed = False
            break
    if test.isExpectedToFail():
        result.passed = not result.passed
        result.log.append("# XFAIL: the test is expected to fail")
    return result


class Shell:
    """Runs parsed RUN lines of ``test`` as lit's internal shell does."""

    def __init__(self, test: lit.Test.Test) -> None:
        # one environment for the whole file, as lit's: `cd` and `export` in a RUN line
        # (run by lit's shell) hold for the lines after it
        env = dict(test.config.environment, LIT_CURRENT_TESTCASE=test.getFullName())
        self.state = lit.TestRunner.ShellEnvironment(os.path.dirname(test.getExecPath()), env)

    def run(self, tree: Seq | Pipeline, result: FileResult) -> int:
        """The exit status of ``tree``; what ran is appended to ``result.log``."""
        if isinstance(tree, Seq):
            if tree.op == "&&":
                status = self.run(tree.lhs, result)
                return self.run(tree.rhs, result) if status == 0 else status
            if tree.op == "||":
                status = self.run(tree.lhs, result)
                return self.run(tree.rhs, result) if status != 0 else status
            if tree.op == ";":
                self.run(tree.lhs, result)
                return self.run(tree.rhs, result)
            return self.delegate(tree, result)  # '&': lit's shell refuses it
        if not all(in_process(command) for command in tree.commands) or tree.negate:
            return self.delegate(tree, result)
        return self.run_pipeline(tree, result)

    def run_pipeline(self, pipeline: Pipeline, result: FileResult) -> int:
        """Run the commands of ``pipeline`` in turn, each reading the previous one's stdout."""
        stdin = b""
        status = 0
        with environment(self.state.env), contextlib.chdir(self.state.cwd):
            for command in pipeline.commands:
                args, negations = strip_not(list(command.args))
                merge_stderr, stdout_file = redirections(command)
                done = call(PROGRAMS[args[0]], args, stdin, merge_stderr)
                if negations % 2:
                    done.status = 1 if done.status == 0 else 0
                elif negations > 1:
                    done.status = 1 if done.status != 0 else 0
                result.log.append(describe(command, done))
                stdin = done.stdout.encode()
                if stdout_file is not None:
                    Path(stdout_file).write_bytes(stdin)
                    stdin = b""
                if not pipeline.pipe_err or done.status != 0 or not status:
                    status = done.status
        return status

    def delegate(self, tree: Seq | Pipeline, result: FileResult) -> int:
        """Run ``tree`` in lit's own shell."""
        result.delegated += 1
        ran: list[lit.TestRunner.ShellCommandResult] = []
        status, _ = lit.TestRunner.executeShCmd(tree, self.state, ran)
        for done in ran:
            result.log.append(
                describe(
                    done.command,
                    CommandResult(done.command.args, done.exitCode, done.stdout, done.stderr),
                )
            )
        return 1 if status is None else int(status)


def in_process(command: Command) -> bool:
    """Whether ``command`` is one this module runs in-process."""
    if any(isinstance(arg, GlobItem) or "%{" in arg for arg in command.args):
        return False
    args, _ = strip_not(list(command.args))
    if not args or args[0] not in PROGRAMS or GLOBAL_STATE_FLAGS.intersection(args):
        return False
    try:
        redirections(command)
    except ValueError:
        return False
    return True


def strip_not(args: list[str]) -> tuple[list[str], int]:
    """``args`` without leading ``not`` words (``not --crash`` is kept), and how many."""
    count = 0
    while len(args) > 1 and args[0] == "not" and args[1] != "--crash":
        args, count = args[1:], count + 1
    return args, count


def redirections(command: Command) -> tuple[bool, str | None]:
    """Whether ``command`` sends stderr to stdout (``2>&1``) and the file its stdout goes to
    (``> FILE``); ``ValueError`` for any other redirection."""
    merge_stderr, stdout_file = False, None
    for operator, target in command.redirects:
        if operator == (">&", 2) and target == "1":
            merge_stderr = True
        elif operator == (">",) and isinstance(target, str):
            stdout_file = target
        else:
            raise ValueError(f"redirection {operator} {target}")
    return merge_stderr, stdout_file


@contextlib.contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """``os.environ`` is ``env`` (the environment lit gives its commands) inside."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def call(main: Main, args: list[str], stdin: bytes, merge_stderr: bool) -> CommandResult:
    """Run ``main(args[1:])`` as a process would: ``stdin`` as standard input, the output
    captured, the status from its return value or ``SystemExit`` (an uncaught exception:
    its traceback and status 1, as the interpreter gives)."""
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    stderr = stdout if merge_stderr else io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout, sys.stderr = stdout, stderr
    try:
        try:
            code = main(args[1:])
        except SystemExit as exit_:
            code = exit_.code
        except KeyboardInterrupt:
            raise
        except BaseException:  # noqa: BLE001 (the process would die with a traceback)
            traceback.print_exc()
            code = 1
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)  # sys.exit("message")
            code = 1
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return CommandResult(args, code or 0, _text(stdout), "" if merge_stderr else _text(stderr))


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8", errors="replace")


def describe(command: Command, done: CommandResult) -> str:
    """A log entry of one command: its words, and its output and status when it failed or
    printed something on stderr."""
    lines = [f"$ {' '.join(map(str, command.args))}"]
    if done.status != 0 or done.stderr.strip():
        lines.append(f"# exit status {done.status}")
        for name, text in (("stdout", done.stdout), ("stderr", done.stderr)):
            if text.strip():
                lines.append(f"# {name}:\n{text.rstrip()}")
    return "\n".join(lines)
