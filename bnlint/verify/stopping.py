"""The signal that ends the user's script once the measurements are made."""


class VerifyDone(BaseException):
    """Raised from inside the user's loop; a BaseException, so the script's own `except Exception` lets it by."""
