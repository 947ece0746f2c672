"""Starting a Jupyter kernel again when it dies before it answers.

jupyter_client chooses a kernel's TCP ports by binding port 0 and letting go; the kernel binds
them a moment later. Another process starting a kernel at the same time can be handed the same
port, and one of the two kernels then exits ("Address already in use"), which its client reports
as "Kernel died before replying to kernel_info". No cell has run then, so starting it again is
safe: every notebook courselab executes, and every kernel the grader starts, is started up to
ATTEMPTS times.
"""

import asyncio
import atexit
import contextlib
import signal

from nbclient import NotebookClient

from .errors import CourselabError

ATTEMPTS = 3


class KernelStartError(CourselabError):
    """No kernel started in ATTEMPTS tries: the notebook was not run."""


def again(start, cleanup):
    """Return start(), called up to ATTEMPTS times while it raises RuntimeError (its kernel
    died or did not answer as it started), with cleanup() after each failure."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return start()
        except RuntimeError:
            cleanup()
            if attempt == ATTEMPTS:
                raise


class SteadyClient(NotebookClient):
    """A NotebookClient whose kernel, if it dies or does not answer as it starts, is started
    again (up to ATTEMPTS kernels)."""

    async def async_start_new_kernel(self, **kwargs):
        self.start_kwargs = kwargs  # cwd, env: the same for a kernel started again
        await super().async_start_new_kernel(**kwargs)

    async def async_start_new_kernel_client(self):
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await super().async_start_new_kernel_client()
            except RuntimeError as exc:
                if attempt == ATTEMPTS:
                    self._forget_setup()
                    raise KernelStartError(f"the kernel did not start ({ATTEMPTS} tries, the "
                                           f"last: {exc}); its own error is above") from exc
            # nbclient has shut that kernel down and let go of its manager: a new one
            self.km = self.create_kernel_manager()
            await self.async_start_new_kernel(**self.start_kwargs)

    def _forget_setup(self):
        """Undo what nbclient's setup did before the kernel failed, which nbclient undoes only
        after a kernel has started: its exit hook (it would shut down a kernel already shut
        down) and its SIGINT and SIGTERM handlers (Ctrl-C, and a KeyboardInterrupt raised in
        this process, would do nothing from then on)."""
        atexit.unregister(self._cleanup_kernel)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(RuntimeError, ValueError):  # no signals in this thread
                loop.remove_signal_handler(signum)
