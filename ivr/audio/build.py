"""`ivr audio build`: every prompt of every language to a telephone-ready file, incrementally.

For each prompt the engines of the chain are considered in order (default: recorded, gtts,
espeak). A prompt is left alone when an engine of the chain already has a file made from
its current text by this pipeline, except that a new or changed recording always wins.
Otherwise the engines are tried in order until one succeeds; one prompt's failure never
stops the others.

Nothing is lost on the way: files are written atomically under content-addressed names,
the manifest is replaced only after the new files exist, and files that are no longer
needed are deleted only after the manifest no longer names them. An interrupted build
leaves the previous manifest, and every file it names, in place; the next build adopts
the files already made instead of making them again.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Literal

from ..catalog import AudioFile
from ..content import Content, Language, text_hash
from ..studio.takes import mirror
from .errors import DecodeError, EngineUnavailable, SourceError, WriteError
from .process import Processed, measure_file, process
from .sources import RECORDED_DIR, NotHere, Plan, Source
from .spec import PIPELINE_VERSION, TELEPHONE_FORMAT
from .store import Store, built_name
from .types import Audio

Status = Literal["built", "kept", "failed", "missing"]
Processor = Callable[[Audio], Processed]


@dataclass(frozen=True)
class Failure:
    """One thing that went wrong for one prompt."""

    lang: str
    prompt: str
    engine: str
    message: str

    def __str__(self) -> str:
        return f"{self.lang}/{self.prompt}: {self.engine}: {self.message}"


@dataclass
class Outcome:
    """What became of one prompt."""

    lang: str
    prompt: str
    status: Status
    entry: AudioFile | None = None
    failures: list[Failure] = field(default_factory=list)
    reason: str = ""  # for missing prompts: why no source has anything


@dataclass(frozen=True)
class Candidate:
    """One engine's way to a prompt's file, and the file if it is already built."""

    plan: Plan
    name: str
    current: AudioFile | None


@dataclass(frozen=True)
class Job:
    """A prompt that needs building, with the candidates to try in order."""

    lang: str
    prompt: str
    text: str
    candidates: tuple[Candidate, ...]


@dataclass
class Work:
    """What a build will do, decided before anything is fetched."""

    languages: tuple[str, ...]
    jobs: list[Job]
    settled: list[Outcome]  # kept or missing: nothing to fetch
    current: dict[tuple[str, str], list[AudioFile]]  # every up-to-date file, by (lang, prompt)
    old: list[AudioFile]
    notes: list[str]
    unavailable: dict[str, str]
    lost_manifest: bool = False


@dataclass
class Report:
    """What a build did."""

    outcomes: list[Outcome]
    notes: list[str]
    unavailable: dict[str, str]
    removed: list[str]
    manifest_written: bool
    error: str | None
    seconds: float

    @property
    def failures(self) -> list[Failure]:
        return [f for o in self.outcomes for f in o.failures]

    @property
    def ok(self) -> bool:
        """True when nothing failed (missing recordings of recorded-only languages are not failures)."""
        return not self.failures and self.error is None

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def table(self) -> dict[tuple[str, str], Counter]:
        """Built, kept and failed counts per language and engine."""
        rows: dict[tuple[str, str], Counter] = {}
        for o in self.outcomes:
            if o.entry is not None:
                rows.setdefault((o.lang, o.entry.engine), Counter())[o.status] += 1
            for f in o.failures:
                rows.setdefault((f.lang, f.engine), Counter())["failed"] += 1
        return dict(sorted(rows.items()))

    def missing(self) -> dict[str, list[Outcome]]:
        """Prompts no source has anything for, by language."""
        found: dict[str, list[Outcome]] = {}
        for o in self.outcomes:
            if o.status == "missing":
                found.setdefault(o.lang, []).append(o)
        return found


def file_digest(lang: str, prompt: str, engine: str, fingerprint: str, words: str) -> str:
    """The hash in a file's name: text, language, engine, voice or recording, pipeline version."""
    key = "\n".join((f"pipeline {PIPELINE_VERSION}", lang, prompt, engine, fingerprint, words))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Builder:
    """Builds one audio folder from the content, with the sources given (best first)."""

    def __init__(
        self,
        content: Content,
        store: Store,
        sources: Sequence[Source],
        jobs: int = 2,
        force: bool = False,
        processor: Processor = process,
    ) -> None:
        self.content = content
        self.store = store
        self.sources = list(sources)
        self.jobs = max(1, jobs)
        self.force = force
        self.processor = processor

    def build(self, languages: Sequence[str], progress: Callable[[Outcome], None] | None = None) -> Report:
        """Plan and run."""
        return self.run(self.plan(languages), progress)

    # Planning: offline, cheap -------------------------------------------------------

    def plan(self, languages: Sequence[str]) -> Work:
        """Decide, for every prompt, whether it is up to date and what to try if not."""
        self.store.clean_tmp()
        old, problem = self.store.load_manifest()
        notes = [problem] if problem else []
        listed = {e.file: e for e in old}
        work = Work(tuple(languages), [], [], {}, old, notes, {}, lost_manifest=problem is not None)
        for code in languages:
            lang = self.content.languages[code]
            sources = [s for s in self.sources if not lang.recorded_only or s.engine == "recorded"]
            for prompt in self.content.caller_prompts(code):
                if prompt in lang.prompts:
                    self._plan_prompt(work, lang, prompt, sources, listed)
        return work

    def _plan_prompt(
        self, work: Work, lang: Language, prompt: str, sources: list[Source], listed: dict[str, AudioFile]
    ) -> None:
        text = lang.text(prompt)
        words = text_hash(text)
        candidates: list[Candidate] = []
        reasons: list[NotHere] = []
        for source in sources:
            plan = source.plan(lang, prompt, text)
            if isinstance(plan, NotHere):
                reasons.append(plan)
                if plan.kind == "unavailable":
                    work.unavailable.setdefault(plan.engine, plan.reason)
                elif plan.kind == "stale":
                    work.notes.append(f"{lang.code}/{prompt}: {plan.engine}: {plan.reason}")
                continue
            digest = file_digest(lang.code, prompt, plan.engine, plan.fingerprint, words)
            name = built_name(plan.engine, lang.code, prompt, digest)
            current = self._current(listed.get(name), name, lang.code, prompt, plan, words)
            candidates.append(Candidate(plan, name, current))
            if current:
                work.current.setdefault((lang.code, prompt), []).append(current)
        if not candidates:
            unavailable = [r for r in reasons if r.kind == "unavailable"]
            if unavailable:  # an engine would speak it, but cannot run here
                failures = [Failure(lang.code, prompt, r.engine, r.reason) for r in unavailable]
                work.settled.append(Outcome(lang.code, prompt, "failed", failures=failures))
            else:
                why = "; ".join(r.reason for r in reasons) or "no engine in the chain"
                work.settled.append(Outcome(lang.code, prompt, "missing", reason=why))
            return
        first = candidates[0]
        # A new or changed recording always wins; one without its .txt gets it written.
        recording_due = first.plan.engine == "recorded" and (first.current is None or first.plan.pin is not None)
        done = next((c for c in candidates if c.current), None)
        if done and not recording_due and not self.force:
            work.settled.append(Outcome(lang.code, prompt, "kept", entry=done.current))
        else:
            work.jobs.append(Job(lang.code, prompt, text, tuple(candidates)))

    def _current(
        self, entry: AudioFile | None, name: str, lang: str, prompt: str, plan: Plan, words: str
    ) -> AudioFile | None:
        """The entry for an up-to-date file; adopt a file the manifest lost (an interrupted build)."""
        size = self.store.size(name)
        if size is None:
            return None
        if entry is not None and entry.text_hash == words and entry.bytes == size:
            return entry
        try:
            measured, fmt = measure_file(self.store.path(name).read_bytes())
        except (OSError, DecodeError):
            return None
        if fmt != TELEPHONE_FORMAT:
            return None
        return AudioFile(
            lang=lang, prompt=prompt, text_hash=words, engine=plan.engine, file=name,
            duration=measured.duration, loudness=measured.loudness, bytes=size, peak=measured.peak,
            source=plan.fingerprint, pipeline=PIPELINE_VERSION,
        )  # fmt: skip

    # Running: fetch, process, write ---------------------------------------------------

    def run(self, work: Work, progress: Callable[[Outcome], None] | None = None) -> Report:
        """Build every job with bounded parallel workers, then settle the manifest."""
        started = time.monotonic()
        outcomes = list(work.settled)
        pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="audio")
        try:
            futures: list[Future[Outcome]] = [pool.submit(self._build, job, work) for job in work.jobs]
            for future in as_completed(futures):
                outcome = future.result()
                outcomes.append(outcome)
                if progress:
                    progress(outcome)
        except BaseException:
            # Interrupted (Ctrl-C) or a bug: let running prompts finish their atomic writes,
            # start no more, and leave the manifest as it was.
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
        order = {p: i for i, p in enumerate(self.content.source.prompts)}
        outcomes.sort(key=lambda o: (work.languages.index(o.lang), order.get(o.prompt, 0)))
        # A recording plays on calls only as its take record's review says (ivr.studio.takes).
        entries = [mirror(e, self.store.root / RECORDED_DIR) for e in self._settle(work, outcomes)]
        error = None
        written = False
        removed: list[str] = []
        try:
            written = self.store.save_manifest(entries)
        except WriteError as e:
            error = f"the manifest was not updated, the previous one still holds: {e}"
        else:
            removed = self._remove_unlisted(work, entries)
        return Report(outcomes, work.notes, work.unavailable, removed, written, error, time.monotonic() - started)

    def _build(self, job: Job, work: Work) -> Outcome:
        failures: list[Failure] = []
        for candidate in job.candidates:
            plan = candidate.plan
            try:
                if candidate.current and not self.force:
                    self._pin(plan)
                    return Outcome(job.lang, job.prompt, "kept", entry=candidate.current, failures=failures)
                processed = self.processor(plan.fetch())
                self.store.put(candidate.name, processed.wav)
                self._pin(plan)
            except EngineUnavailable as e:
                work.unavailable.setdefault(plan.engine, str(e))
                continue
            except (SourceError, DecodeError) as e:
                failures.append(Failure(job.lang, job.prompt, plan.engine, str(e)))
                continue
            except WriteError as e:
                failures.append(Failure(job.lang, job.prompt, plan.engine, str(e)))
                return Outcome(job.lang, job.prompt, "failed", failures=failures)
            m = processed.measure
            entry = AudioFile(
                lang=job.lang, prompt=job.prompt, text_hash=text_hash(job.text), engine=plan.engine,
                file=candidate.name, duration=m.duration, loudness=m.loudness, bytes=len(processed.wav),
                peak=m.peak, source=plan.fingerprint, pipeline=PIPELINE_VERSION,
            )  # fmt: skip
            return Outcome(job.lang, job.prompt, "built", entry=entry, failures=failures)
        if not failures:  # every engine was unavailable
            failures = [
                Failure(job.lang, job.prompt, c.plan.engine, work.unavailable.get(c.plan.engine, "unavailable"))
                for c in job.candidates
            ]
        return Outcome(job.lang, job.prompt, "failed", failures=failures)

    def _pin(self, plan: Plan) -> None:
        """Write down the words a recording speaks, the first time it is used."""
        if plan.pin:
            path, words = plan.pin
            self.store.put(os.path.relpath(path, self.store.root), (words + "\n").encode("utf-8"))

    # Settling: the new manifest and what may go ------------------------------------------

    def _settle(self, work: Work, outcomes: list[Outcome]) -> list[AudioFile]:
        """The new manifest: other languages as they were; for the built ones, what is current."""
        current = {key: list(files) for key, files in work.current.items()}
        for o in outcomes:
            if o.entry is not None:
                files = current.setdefault((o.lang, o.prompt), [])
                if o.entry not in files:
                    files.append(o.entry)
        built = set(work.languages)
        keep: dict[str, AudioFile] = {}
        for entry in work.old:
            if entry.lang not in built:
                keep[entry.file] = entry
                continue
            lang = self.content.languages[entry.lang]
            if entry.prompt not in lang.prompts or entry.prompt not in self.content.caller_prompts(entry.lang):
                continue  # the prompt is gone
            if self.store.size(entry.file) is None:
                continue  # the file is gone
            now = current.get((entry.lang, entry.prompt), [])
            if any(c.engine == entry.engine and c.file != entry.file for c in now) and not self._playing(entry):
                continue  # replaced by a newer file from the same engine
            if entry.text_hash != text_hash(lang.text(entry.prompt)) and now:
                continue  # older words, and the current words have a file
            keep[entry.file] = entry
        for files in current.values():
            for entry in files:
                keep[entry.file] = entry
        return list(keep.values())

    def _playing(self, entry: AudioFile) -> bool:
        """An approved recording callers hear until its retake is approved (ivr.studio.takes)."""
        return mirror(entry, self.store.root / RECORDED_DIR).approved

    def _remove_unlisted(self, work: Work, entries: list[AudioFile]) -> list[str]:
        """Delete the built languages' files the manifest no longer names."""
        listed = {e.file for e in entries}
        gone = {e.file for e in work.old if e.lang in work.languages} - listed
        if not work.lost_manifest:
            # Files no manifest names (left by an interrupted build), of the engines built
            # now: other engines' files are not this build's to judge.
            engines = {s.engine for s in self.sources}
            for lang in work.languages:
                gone.update(
                    f for f in self.store.built_files(lang) if f not in listed and f.split("/")[1] in engines
                )
        removed = []
        for name in sorted(gone):
            try:
                self.store.remove(name)
                removed.append(name)
            except OSError as e:
                work.notes.append(f"could not delete {name}: {e}")
        return removed
