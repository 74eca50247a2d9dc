"""Sign-ins that outlast a browser session (and a reload, and a replica)

Revision ID: 0002
Revises: 0001
Created: 2026-12-07, from lib/collection/tables.py (alembic --autogenerate, then read through)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_ins',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('account', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.CheckConstraint("kind IN ('ticket', 'session')", name='sign_ins_kind'),
    sa.PrimaryKeyConstraint('token_hash')
    )


def downgrade() -> None:
    op.drop_table('sign_ins')
