"""click, speaking the user's language: its own texts, every help text, and the global options
accepted before or after the subcommand.

- click marks its own texts ("Usage:", "No such option", "Show this message and exit.") with
  gettext; each of its modules binds that lookup as ``_`` (and ``ngettext``). :func:`speak` points
  those names at :data:`gridtui.i18n.CLICK` — a catalog in code, switched with the language at run
  time, where gettext's would want compiled files and a process-wide locale.
- Help comes from i18n, not from the decorators: a command's is ``help.cmd.<function>``, an
  option's ``help.opt.<function>.<option>`` or ``help.opt.<option>`` (see :class:`GridCommand`).
- ``--home``, ``--pin-file``, ``--lang``, ``--demo`` and ``--worker`` (where the subcommand has no
  option of that name) are accepted after the subcommand too: every command carries them, hidden.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from pathlib import Path

import click

from .. import i18n
from ..i18n import t
from ..textfmt import wrap

_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils")


class _ChineseSentence(str):
    """The template of click's error line; click ends some messages with an English full stop
    ("缺少选项 '--note'."), and the Chinese line ends with a Chinese one."""

    def format(self, *args: object, **kwargs: object) -> str:
        return re.sub(r"(?<=[^.])\.$", "。", str.format(self, *args, **kwargs))


def _gettext(message: str) -> str:
    if i18n.get_lang() == "en":
        return message
    text = i18n.CLICK.get(message, message)
    return _ChineseSentence(text) if message == "Error: {message}" else text


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


def speak() -> None:
    """Route click's own texts through :data:`gridtui.i18n.CLICK`, and let its help tables measure
    Chinese as two columns a character, as the terminal draws it (idempotent)."""
    from ..textfmt import cell_width
    from click import _textwrap, formatting  # no public hook for either: see CellWrapper

    formatting.term_len = lambda text: cell_width(click.unstyle(text))
    _textwrap.TextWrapper = CellWrapper  # wrap_text looks it up at each call
    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _gettext
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext


class CellWrapper:
    """What click's help needs of a text wrapper, measuring in terminal cells and breaking between
    any two Chinese characters as well as between words (textwrap counts characters, so Chinese
    help ran past 80 columns)."""

    def __init__(self, width: int = 78, initial_indent: str = "", subsequent_indent: str = "", **_: object) -> None:
        self.width = width
        self.initial_indent = initial_indent
        self.subsequent_indent = subsequent_indent

    @contextlib.contextmanager
    def extra_indent(self, indent: str):  # noqa: ANN201
        old = self.initial_indent, self.subsequent_indent
        self.initial_indent += indent
        self.subsequent_indent += indent
        try:
            yield
        finally:
            self.initial_indent, self.subsequent_indent = old

    def indent_only(self, text: str) -> str:
        return "\n".join((self.initial_indent if i == 0 else self.subsequent_indent) + line
                         for i, line in enumerate(text.splitlines()))

    def fill(self, text: str) -> str:
        return "\n".join(wrap(text, self.width, self.initial_indent, self.subsequent_indent))


def _help(key: str) -> str | None:
    return t(key) if key in i18n.STRINGS else None


class Word(click.ParamType):
    """A word of the ledger's vocabulary (gridtui.vocab): a role, a tag, a status by code, number
    or name; an unknown one is refused with the list of known ones."""

    def __init__(self, parse, what: str) -> None:  # noqa: ANN001 - parse(text) -> code
        self.parse = parse
        self.name = what

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from ..model import ValidationError

        try:
            return self.parse(str(value))
        except ValidationError as exc:
            self.fail(t(exc.key, **exc.args_), param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:  # noqa: ARG002
        return t(f"cli.metavar.{self.name}")


def _metavar(kind: click.ParamType) -> str | None:
    """A value's placeholder in the language of the moment: click names some types when they are
    made, at import, in whatever language that was."""
    if isinstance(kind, click.Path):
        return t("cli.metavar.folder" if not kind.file_okay else "cli.metavar.file" if not kind.dir_okay
                 else "cli.metavar.path")
    if kind.name == "text":
        return t("cli.metavar.text")
    if kind.name in ("integer", "integer range"):
        return t("cli.metavar.number")
    return None


class _Translated:
    """What both command classes share: help texts from i18n, shown when help is asked for."""

    def _name(self) -> str:
        callback = getattr(self, "callback", None)
        return getattr(callback, "__name__", "") or getattr(self, "name", "")

    def _translate(self, ctx: click.Context | None = None) -> None:
        name = self._name()
        self.options_metavar = t("cli.metavar.options")
        if isinstance(self, click.Group):
            self.subcommand_metavar = t("cli.metavar.command")
        own = _help(f"help.cmd.{name}")
        if own is not None:
            self.help = own
            self.short_help = own.split("\n", 1)[0]
        # The help option is click's own and made once per command, in the language of that moment.
        params = self.get_params(ctx) if ctx is not None else getattr(self, "params", ())  # type: ignore[attr-defined]
        for param in params:
            if isinstance(param, click.Argument) and f"cli.arg.{param.name}" in i18n.STRINGS:
                param.metavar = t(f"cli.arg.{param.name}")
            if isinstance(param, click.Option) and not param.hidden:
                pname = "help" if "--help" in param.opts else param.name  # click 8.5 renames its own
                text = (_help(param.help) if param.help and param.help.startswith("help.") else None) \
                    or _help(f"help.opt.{name}.{pname}") or _help(f"help.opt.{pname}")
                if text is not None:
                    param.help = text
                if param.metavar and param.metavar.startswith("cli.metavar."):
                    param._metavar_key = param.metavar
                if getattr(param, "_metavar_key", None):
                    param.metavar = t(param._metavar_key)
                elif getattr(param, "_plain_metavar", param.metavar is None) and not param.is_flag:
                    param._plain_metavar = True  # ours to set, in the language of the moment
                    param.metavar = _metavar(param.type)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._translate(ctx)
        super().format_help(ctx, formatter)  # type: ignore[misc]

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        self._translate(ctx)  # a usage error shows the usage line without asking for help
        return super().collect_usage_pieces(ctx)  # type: ignore[misc]

    def get_short_help_str(self, limit: int = 45) -> str:
        self._translate()
        return super().get_short_help_str(limit)  # type: ignore[misc]


# The global options, and how each changes the run's context when given after the subcommand.
def _set_home(ctx: click.Context, value: object) -> None:
    ctx.find_object(_ctx_type()).use_home(Path(value))  # type: ignore[union-attr, arg-type]


def _set_pin_file(ctx: click.Context, value: object) -> None:
    ctx.find_object(_ctx_type()).use_pin_file(Path(value))  # type: ignore[union-attr, arg-type]


def _set_demo(ctx: click.Context, value: object) -> None:
    ctx.find_object(_ctx_type()).demo = True  # type: ignore[union-attr]


def _set_worker(ctx: click.Context, value: object) -> None:
    ctx.find_object(_ctx_type()).worker = value  # type: ignore[union-attr]


def _set_lang(ctx: click.Context, value: object) -> None:
    i18n.set_lang(str(value))


def _ctx_type() -> type:
    from .context import Ctx

    return Ctx


def _global(flag: str, name: str, apply, **kw) -> click.Option:  # noqa: ANN001
    def callback(ctx: click.Context, param: click.Parameter, value: object) -> None:
        if value not in (None, False):
            apply(ctx, value)

    return click.Option([flag, name], hidden=True, expose_value=False, callback=callback, is_eager=True, **kw)


def _globals() -> list[click.Option]:
    return [
        _global("--home", "global_home", _set_home, type=click.Path(file_okay=False)),
        _global("--pin-file", "global_pin_file", _set_pin_file, type=click.Path(dir_okay=False)),
        _global("--lang", "global_lang", _set_lang, type=click.Choice(i18n.LANGS)),
        _global("--demo", "global_demo", _set_demo, is_flag=True),
        _global("--worker", "global_worker", _set_worker),
    ]


class GridCommand(_Translated, click.Command):
    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        taken = {opt for p in self.params for opt in getattr(p, "opts", ())}
        self.params += [g for g in _globals() if g.opts[0] not in taken]

    def invoke(self, ctx: click.Context) -> object:
        obj = ctx.find_object(_ctx_type())
        if obj is not None and ctx.parent is not None and ctx.parent.info_name == "office":
            obj.ready_office()  # an office store from an older gridtui is encrypted first
        return super().invoke(ctx)


class GridGroup(_Translated, click.Group):
    command_class = GridCommand
    group_class = type  # subgroups are GridGroups too

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: object) -> click.Context:
        if parent is None:
            _early_language(args)  # so that even `gridtui --help` speaks the right language
        return super().make_context(info_name, args, parent=parent, **extra)  # type: ignore[arg-type]


def _early_language(args: list[str]) -> None:
    """The language before click parses anything: --lang anywhere, else $GRIDTUI_LANG, else the
    home's config (--home anywhere, else the default home), else Chinese."""
    from ..home import home_dir, load_config

    def value(flag: str) -> str | None:
        for i, a in enumerate(args):
            if a == flag and i + 1 < len(args):
                return args[i + 1]
            if a.startswith(flag + "="):
                return a.split("=", 1)[1]
        return None

    lang = value("--lang")
    if lang not in i18n.LANGS:
        lang = i18n.lang_from_env()
    if lang is None:
        try:
            lang = load_config(home_dir(value("--home"))).get("lang")
        except (OSError, ValueError):
            lang = None
    i18n.set_lang(lang if lang in i18n.LANGS else "zh")
