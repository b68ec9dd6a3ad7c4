"""Whether this process can serve: the database answers, its schema is at the code's migration
head, and Redis answers when it is configured. ``/readyz`` says so, with the reasons when not."""
from __future__ import annotations

import redis
from sqlalchemy import Engine, text

from content_catalog.database import current_revision, head_revision


def readiness_problems(engine: Engine, redis_url: str | None) -> list[str]:
    """Empty when ready; else one short reason per failed check (no secrets, no traces)."""
    problems = []
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        problems.append(f"database: unreachable ({type(exc).__name__})")
    else:
        current, head = current_revision(engine), head_revision()
        if current != head:
            problems.append(f"database: schema at migration {current or 'none'}, the code needs "
                            f"{head} (run `beinspired init-db`)")
    if redis_url:
        client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        try:
            client.ping()
        except redis.RedisError as exc:
            problems.append(f"redis: unreachable ({type(exc).__name__})")
        finally:
            client.close()
    return problems


__all__ = ["readiness_problems"]
