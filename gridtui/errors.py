"""One kind of error for everything a user can get wrong: an i18n key plus its arguments.

The CLI and the TUI turn it into one plain sentence in the user's language.
"""


class UserError(Exception):
    def __init__(self, key: str, **args: object) -> None:
        super().__init__(key)
        self.key = key
        self.args_ = args
