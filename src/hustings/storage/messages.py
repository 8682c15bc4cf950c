"""Messages, authors and their targets in SQL: the `MessageRepository` that ingest uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from hustings.messages.model import Author, Message, MessageDetails
from hustings.storage.bulk import among, chunks, insert_new_rows, insert_rows
from hustings.storage.tables import AuthorRow, MessageRow, MessageTargetRow, TargetHandleRow, TargetRow


def message_from_rows(row: MessageRow, author: AuthorRow, targets: Sequence[MessageTargetRow]) -> Message:
    return Message(
        id=row.id,
        source=row.source,
        external_id=row.external_id,
        text=row.text,
        created_at=row.created_at,
        author=Author(
            key=author.key,
            source=author.source,
            external_id=author.external_id,
            handle=author.handle,
            display_name=author.display_name,
            created_at=author.created_at,
            followers=author.followers,
        ),
        targets=tuple((t.target_ref, t.target_id) for t in targets),
        in_reply_to_id=row.in_reply_to_id,
        url=row.url,
        lang=row.lang,
        ingested_at=row.ingested_at,
        details=MessageDetails.from_json(row.details),
    )


class SqlMessageRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(list(ids)):
            found.update(
                self.session.scalars(select(MessageRow.id).where(among(self.session, MessageRow.id, chunk)))
            )
        return found

    def resolve_targets(self, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        wanted = list(refs)
        resolved: dict[tuple[str, str], str] = {}
        for chunk in chunks(wanted):
            rows = self.session.execute(
                select(TargetHandleRow.platform, TargetHandleRow.handle, TargetHandleRow.target_id).where(
                    tuple_(TargetHandleRow.platform, TargetHandleRow.handle).in_(chunk)
                )
            )
            for platform, handle, target_id in rows:
                resolved[(platform, handle)] = target_id
        # A message may also name a target by its Hustings id.
        ids = {ref for _, ref in wanted if ref.startswith("t_")}
        if ids:
            known = set(self.session.scalars(select(TargetRow.id).where(TargetRow.id.in_(ids))))
            for source, ref in wanted:
                if ref in known:
                    resolved[(source, ref)] = ref
        return resolved

    def add_authors(self, authors: Iterable[Author], first_seen_at: datetime) -> None:
        """Store the authors not stored yet (one already stored is left as it is)."""
        rows = {
            author.key: {
                "key": author.key,
                "source": author.source,
                "external_id": author.external_id,
                "handle": author.handle,
                "display_name": author.display_name,
                "created_at": author.created_at,
                "followers": author.followers,
                "first_seen_at": first_seen_at,
            }
            for author in authors
        }
        # In key order, so two writers that share new authors take their rows in one order.
        insert_rows(self.session, AuthorRow, [rows[key] for key in sorted(rows)], ignore_conflicts=True)

    def add_many(self, messages: Sequence[Message]) -> set[str]:
        if not messages:
            return set()
        self.add_authors((m.author for m in messages), messages[0].ingested_at)
        rows: list[dict[str, Any]] = [
            {
                "id": m.id,
                "source": m.source,
                "external_id": m.external_id,
                "text": m.text,
                "created_at": m.created_at,
                "author_key": m.author.key,
                "in_reply_to_id": m.in_reply_to_id,
                "url": m.url,
                "lang": m.lang,
                "ingested_at": m.ingested_at,
                "details": m.details.to_json(),
            }
            for m in messages
        ]
        # Another ingest of the same message may be under way: its row wins, and this one is a duplicate.
        stored: set[str] = insert_new_rows(self.session, MessageRow, rows, key="id")
        links: list[dict[str, Any]] = [
            {"message_id": m.id, "target_ref": ref, "target_id": target_id}
            for m in messages
            if m.id in stored
            for ref, target_id in m.targets
        ]
        insert_rows(self.session, MessageTargetRow, links)
        return stored

    def count(self) -> int:
        """How many messages are held."""
        return self.session.scalar(select(func.count()).select_from(MessageRow)) or 0

    def get(self, message_id: str) -> Message | None:
        row = self.session.get(MessageRow, message_id)
        if row is None:
            return None
        author = self.session.get_one(AuthorRow, row.author_key)
        targets = list(
            self.session.scalars(select(MessageTargetRow).where(MessageTargetRow.message_id == message_id))
        )
        return message_from_rows(row, author, targets)

    # ------------------------------------------------------------ a message in context

    def thread(self, message: Message, depth: int) -> list[Message]:
        """The messages `message` replies to, up the chain to at most `depth` of them, oldest first.

        The chain stops at a message that was never ingested, and at a loop.
        """
        parents: list[Message] = []
        seen = {message.id}
        parent_id = message.in_reply_to_id
        while parent_id and parent_id not in seen and len(parents) < depth:
            parent = self.get(parent_id)
            if parent is None:
                break
            seen.add(parent.id)
            parents.append(parent)
            parent_id = parent.in_reply_to_id
        return parents[::-1]

    def replies(self, message_id: str, limit: int) -> list[Message]:
        """The first `limit` replies to a message, oldest first."""
        ids = self.session.scalars(
            select(MessageRow.id)
            .where(MessageRow.in_reply_to_id == message_id)
            .order_by(MessageRow.created_at, MessageRow.id)
            .limit(limit)
        )
        return self._all(list(ids))

    def author_history(self, message: Message, limit: int) -> list[Message]:
        """Other messages from the message's author to any of its targets, the newest `limit`, newest first."""
        if not message.target_ids:
            return []
        ids = self.session.scalars(
            select(MessageRow.id)
            .join(MessageTargetRow, MessageTargetRow.message_id == MessageRow.id)
            .where(
                MessageRow.author_key == message.author.key,
                MessageTargetRow.target_id.in_(list(message.target_ids)),
                MessageRow.id != message.id,
            )
            .group_by(MessageRow.id, MessageRow.created_at)
            .order_by(MessageRow.created_at.desc(), MessageRow.id)
            .limit(limit)
        )
        return self._all(list(ids))

    def by_author(self, author_key: str, limit: int, offset: int = 0) -> list[Message]:
        """Every message from one account, newest first: `limit` of them from `offset`."""
        ids = self.session.scalars(
            select(MessageRow.id)
            .where(MessageRow.author_key == author_key)
            .order_by(MessageRow.created_at.desc(), MessageRow.id)
            .limit(limit)
            .offset(offset)
        )
        return self._all(list(ids))

    def count_by_author(self, author_key: str) -> int:
        return (
            self.session.scalar(
                select(func.count()).select_from(MessageRow).where(MessageRow.author_key == author_key)
            )
            or 0
        )

    def _all(self, ids: Sequence[str]) -> list[Message]:
        return [message for message in map(self.get, ids) if message is not None]
