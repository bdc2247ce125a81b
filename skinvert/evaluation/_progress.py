"""Which step of a long evaluation is running: a tqdm bar, or plain lines.

tqdm is an optional extra: without it the steps are printed as plain lines on
stderr, never an ImportError for a progress display.
"""

import sys


class progress:
    """Announce the steps of ``what`` when ``verbose`` is positive.

    Parameters
    ----------
    verbose : int
        0 shows nothing.
    what : str
        What runs (the bar's title).
    total : int, default=None
        Number of steps, when known (the bar then shows a fraction).
    """

    def __init__(self, verbose, what, total=None):
        self.verbose, self.what, self.bar = verbose, what, None
        if not verbose:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=total, desc=what, unit="step", file=sys.stderr)

    def step(self, text):
        """Start the step ``text``."""
        if not self.verbose:
            return
        if self.bar is None:
            print(f"{self.what}: {text}", file=sys.stderr, flush=True)
            return
        self.bar.set_postfix_str(text)
        self.bar.update(1)

    def close(self):
        """End the display."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
