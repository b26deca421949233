"""Jobs: read one background job and wait for it to finish by polling ``/sdk/jobs/{id}``.

Owns the polling loop (clock and sleep come from the transport); it never starts jobs.
"""

from __future__ import annotations

from collections.abc import Callable

from dbt_armor.api.models import Job
from dbt_armor.api.paths import join
from dbt_armor.api.resources.base import Resource
from dbt_armor.errors import PlatformTimeout


class JobsResource(Resource):
    def get(self, job_id: str) -> Job:
        return self._object(Job, "GET", join("sdk", "jobs", job_id))

    def wait(
        self,
        job_id: str,
        timeout: float = 120.0,
        interval: float = 0.5,
        on_poll: Callable[[Job], None] | None = None,
    ) -> Job:
        """Poll until the job is completed, failed or cancelled, or raise after ``timeout``;
        ``on_poll`` sees every state read (for progress display)."""
        clock, sleep = self._t.clock, self._t.sleep
        deadline = clock() + timeout
        delay = interval
        while True:
            job = self.get(job_id)
            if on_poll is not None:
                on_poll(job)
            if job.done:
                return job
            if clock() + delay > deadline:
                raise PlatformTimeout(
                    f"job {job_id} still {job.status!r} after {timeout:g}s",
                    hint="raise the wait timeout, or check the job later",
                    url=join("sdk", "jobs", job_id),
                )
            sleep(delay)
            delay = min(delay * 2, 5.0)
