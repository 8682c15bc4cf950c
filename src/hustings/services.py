"""The composition root for one unit of work: storage adapters, event log, detector, clock.

Web routes and CLI commands build a `Services` around one SQLAlchemy session and call the
domain through it; whoever built it commits. Nothing here runs at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from hustings.auth.accounts import AccountPolicy, Accounts
from hustings.auth.login import LoginBackoff
from hustings.auth.model import Role
from hustings.auth.second_factor import SecretBox
from hustings.clock import Clock, SystemClock
from hustings.complaints.code import load_code
from hustings.complaints.model import PartyEmail
from hustings.complaints.service import PARTY_PREFIX, Complaints
from hustings.detect.assessment import Detector, Label
from hustings.elections.dashboard import ElectionDashboards
from hustings.elections.service import Elections
from hustings.elections.teams import Teams
from hustings.errors import DuplicateEvent
from hustings.events import EventLog
from hustings.events.registry import default_reducers
from hustings.messages.changes import ChangeResult, SourceChange, record_changes
from hustings.messages.ingest import IngestHook, IngestResult, ingest
from hustings.messages.model import Origin
from hustings.moderation.awaiting import AwaitingReports
from hustings.moderation.notes import Notes
from hustings.notifications.events import Cause
from hustings.notifications.mail import SmtpMailer
from hustings.notifications.service import Notifications
from hustings.platforms.service import PlatformReferrals
from hustings.protection.private_service import PrivateDetails
from hustings.protection.service import Protection
from hustings.referrals.vault import configured_vault
from hustings.referrals.workflow import Referrals
from hustings.settings import Settings
from hustings.storage.complaints import SqlComplaintStore
from hustings.storage.connectors import SqlCursorStore
from hustings.storage.dashboard import SqlDashboardStore
from hustings.storage.elections import SqlElectionStore
from hustings.storage.events import SqlEventStore
from hustings.storage.login import SqlBackoffStore
from hustings.storage.messages import SqlMessageRepository
from hustings.storage.notifications import SqlNotificationStore
from hustings.storage.platforms import SqlPlatformReferralStore
from hustings.storage.private import SqlPrivateDetailStore
from hustings.storage.protection import SqlProtectionStore
from hustings.storage.referrals import SqlReferralStore
from hustings.storage.sources import SqlOriginalRecords
from hustings.storage.targets import TargetStore
from hustings.storage.teams import SqlTeamStore
from hustings.storage.transparency import SqlTransparencyStore
from hustings.storage.users import UserStore
from hustings.transparency.service import ReportCache, Transparency

if TYPE_CHECKING:
    from hustings.moderation.service import Moderation
    from hustings.stream.broker import Broker

DetectorProvider = Callable[[], Detector]
INGEST_ATTEMPTS = 3
"""How often a batch that met a concurrent writer is run before the conflict is the caller's."""


def configured_detector(settings: Settings) -> Detector:
    """The shipped model at the thresholds `settings.detect_thresholds` sets (its own for the rest)."""
    from hustings.detect import load_detector

    return load_detector(thresholds=settings.detect_thresholds or None)


def ingest_hooks(services: Services) -> list[IngestHook]:
    """What else happens, in the same transaction, when a batch of messages is ingested."""
    return [
        services.moderation.intake,
        services.protection.intake,
        services.private_details.intake,
        services.awaiting_reports.intake,
    ]


@dataclass
class Services:
    session: Session
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    detector_provider: DetectorProvider | None = None
    """Who supplies the detector; by default the shipped model at the configured thresholds."""
    report_cache: ReportCache | None = None
    """Transparency reports kept across units of work (the web app shares one); None: none kept."""
    broker: Broker | None = None
    """Where ingest publishes when HUSTINGS_BROKER_URL is set (workers store and assess); None: in process."""
    target_scope: Callable[[str], bool] | None = None
    """The targets whose pile-on state this unit of work keeps beyond its batch's own (a worker:
    those of the partition it is storing); None: every target."""
    ingest_reruns: int = field(default=0, init=False)
    """Batches `ingest` ran again after meeting a concurrent writer (the workers' metrics count them)."""

    @cached_property
    def events(self) -> SqlEventStore:
        return SqlEventStore(self.session)

    @cached_property
    def log(self) -> EventLog:
        return EventLog(self.events, default_reducers())

    @cached_property
    def messages(self) -> SqlMessageRepository:
        return SqlMessageRepository(self.session)

    @cached_property
    def originals(self) -> SqlOriginalRecords:
        return SqlOriginalRecords(self.session)

    @cached_property
    def cursors(self) -> SqlCursorStore:
        """Where each live connector (`hustings connect`) has read its source up to."""
        return SqlCursorStore(self.session)

    @cached_property
    def users(self) -> UserStore:
        return UserStore(self.session)

    @cached_property
    def secret_box(self) -> SecretBox:
        """Seals secrets at rest under HUSTINGS_SECRET_KEY; opens under it or a previous key."""
        return SecretBox(
            self.settings.secret_key.get_secret_value(), previous=self.settings.previous_secrets()
        )

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(
            self.users,
            self.log,
            self.clock,
            self.secret_box,
            AccountPolicy(token_days=self.settings.token_days),
        )

    @cached_property
    def awaiting_reports(self) -> AwaitingReports:
        return AwaitingReports(
            self.log, self.clock, file_report=self.moderation.file_report, user=self.users.get
        )

    @cached_property
    def notes(self) -> Notes:
        return Notes(self.log, self.clock)

    @cached_property
    def notifications(self) -> Notifications:
        settings = self.settings
        mailer = None
        if settings.smtp_host:
            mailer = SmtpMailer(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_from,
                starttls=settings.smtp_tls,
                username=settings.smtp_username,
                password=settings.smtp_password,
            )
        return Notifications(
            SqlNotificationStore(self.session),
            self.log,
            self.clock,
            email_of=self._email_of,
            link_of=self._link_of,
            mailer=mailer,
            public_url=settings.public_url,
            lookahead=timedelta(hours=settings.notify_clock_hours),
        )

    def _email_of(self, recipient_id: str) -> str:
        """A user's e-mail address, or a complaint's party's (opened with the case's key)."""
        if recipient_id.startswith(PARTY_PREFIX):
            return self.complaints.party_address(recipient_id)
        return self.accounts.email(recipient_id)

    def _link_of(self, recipient_id: str) -> str:
        """A complaint's party's tracking link, made when their e-mail is sent; "" for a user."""
        if recipient_id.startswith(PARTY_PREFIX):
            return self.complaints.party_link(recipient_id)
        return ""

    def _mail_party(self, email: PartyEmail) -> bool:
        return self.notifications.email_outside(
            email.recipient_id,
            cause=Cause.COMPLAINT_COMMUNICATED,
            cause_key=email.cause_key,
            title=email.title,
        )

    @cached_property
    def targets(self) -> TargetStore:
        return TargetStore(self.session)

    @cached_property
    def elections(self) -> Elections:
        return Elections(SqlElectionStore(self.session), self.log, self.clock)

    @cached_property
    def complaints(self) -> Complaints:
        def roles_of(user_id: str) -> frozenset[Role]:
            user = self.users.get(user_id)
            return frozenset() if user is None else frozenset(user.roles)

        return Complaints(
            SqlComplaintStore(self.session),
            self.log,
            self.clock,
            load_code(),
            self.secret_box,
            survey_secret=self.settings.secret_key.get_secret_value(),
            roles_of=roles_of,
            mail_party=self._mail_party if self.settings.smtp_host else None,
        )

    @cached_property
    def teams(self) -> Teams:
        return Teams(SqlTeamStore(self.session), self.log, self.clock, self.elections)

    @cached_property
    def election_dashboards(self) -> ElectionDashboards:
        return ElectionDashboards(SqlDashboardStore(self.session), self.clock)

    @cached_property
    def protection(self) -> Protection:
        return Protection(
            SqlProtectionStore(self.session),
            self.log,
            self.clock,
            reports=self.moderation,
            thresholds=self.thresholds(),
            redactor=self.private_details,
            owns=self.target_scope,
        )

    @cached_property
    def private_details(self) -> PrivateDetails:
        """The private-details register, sealed under the service secret."""
        return PrivateDetails(
            SqlPrivateDetailStore(self.session),
            self.log,
            self.clock,
            self.secret_box,
            reports=self.moderation,
        )

    @cached_property
    def transparency(self) -> Transparency:
        return Transparency(SqlTransparencyStore(self.session), self.report_cache, self.events.aggregates)

    @cached_property
    def moderation(self) -> Moderation:
        # Imported here: the near-duplicate index pulls in numpy and datasketch, which commands
        # that never moderate need not load.
        from hustings.moderation.policy import load_policy
        from hustings.moderation.service import Moderation
        from hustings.storage.moderation import SqlModerationStore

        return Moderation(SqlModerationStore(self.session), self.log, self.clock, load_policy())

    @cached_property
    def login_backoff(self) -> LoginBackoff:
        return LoginBackoff(SqlBackoffStore(self.session), secret=self.settings.secret_key.get_secret_value())

    @cached_property
    def referrals(self) -> Referrals:
        """Referrals and their evidence packs, the packs under ``data_dir/packs``."""
        return Referrals(
            SqlReferralStore(self.session),
            self.log,
            self.clock,
            configured_vault(self.settings),
            organisation=self.settings.organisation,
        )

    @cached_property
    def platform_referrals(self) -> PlatformReferrals:
        return PlatformReferrals(SqlPlatformReferralStore(self.session), self.log, self.clock)

    def detector(self) -> Detector:
        if self.detector_provider is not None:
            return self.detector_provider()
        return configured_detector(self.settings)

    def thresholds(self) -> dict[Label, float]:
        """The per-label thresholds flags are made at: the model's own, with the configured ones over them.

        Read from the model's config, so the model itself is not loaded.
        """
        from hustings.protection.controls import base_thresholds

        return {
            **base_thresholds(),
            **{Label(name): value for name, value in self.settings.detect_thresholds.items()},
        }

    def ingest(
        self, raw: Sequence[object], *, actor: str, origins: Sequence[Origin | None] = ()
    ) -> IngestResult:
        """Store, log and assess `raw` here, or, with a broker, publish it for the workers to.

        With a broker, messages read from platform records travel with their `origins`.
        Stored here, a batch that met a concurrent writer on some status is run again: two
        batches at once on PostgreSQL can both touch one subject (an incident during a pile-on),
        and the second is refused with `DuplicateEvent` and nothing of it written. Ingest is
        idempotent, so it is retried, in a savepoint, on a fresh read.
        """
        if self.broker is not None:
            return self.broker.publish(raw, actor=actor, repository=self.messages, origins=origins)
        detector = self.detector() if self.settings.assess_on_ingest else None
        for attempt in range(1, INGEST_ATTEMPTS + 1):
            try:
                with self.session.begin_nested():
                    return ingest(
                        raw,
                        repository=self.messages,
                        log=self.log,
                        clock=self.clock,
                        actor=actor,
                        detector=detector,
                        hooks=ingest_hooks(self),
                        origins=origins,
                        originals=self.originals,
                    )
            except DuplicateEvent:
                if attempt == INGEST_ATTEMPTS:
                    raise
                self.ingest_reruns += 1
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def record_changes(self, changes: Sequence[SourceChange], *, actor: str) -> ChangeResult:
        """Edits and deletions at the source, as events on the messages held (`hustings.messages.changes`).

        With a broker, published instead for a worker to record (`Broker.publish_changes`): it
        applies each once its message is stored, so a change never overtakes its message.
        """
        if self.broker is not None:
            return self.broker.publish_changes(changes, actor=actor)
        result = record_changes(
            changes,
            messages=self.messages,
            log=self.log,
            clock=self.clock,
            actor=actor,
            detector=self.detector() if self.settings.assess_on_ingest and changes else None,
        )
        self.moderation.reassessed(result.assessments)
        return result
