"""collection schema: rounds, invitations, drafts, answers, events, failures

Revision ID: 0001
Revises: (none: the first)
Created: 2026-12-07, from lib/collection/tables.py (alembic --autogenerate, then read through)

The survey rounds moved out of the DuckDB collection file into a database many processes
can write at once. `collection migrate --from` copies an older file's rows in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Every table of the first schema: long because it creates the whole schema, one table after
    another, as lib/collection/tables.py describes it."""
    op.create_table('events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('logged_at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('events_by_invitation', ['invitation_id', 'logged_at'], unique=False)

    op.create_table('failures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('client', sa.String(length=200), nullable=False),
    sa.Column('failed_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('failures', schema=None) as batch_op:
        batch_op.create_index('failures_by_client', ['kind', 'client', 'failed_at'], unique=False)

    op.create_table('meta',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('rounds',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('council_set_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('opened_by', sa.String(length=200), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('provisional', sa.Boolean(), nullable=False),
    sa.CheckConstraint("status IN ('collecting', 'closed', 'published', 'archived')", name='rounds_status'),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('council_code', sa.String(length=20), nullable=False),
    sa.Column('council_name', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('issue', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('invited', 'revoked')", name='invitations_status'),
    sa.ForeignKeyConstraint(['year'], ['rounds.year'], name='invitations_round'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash'),
    sa.UniqueConstraint('year', 'council_code', name='invitations_one_per_council')
    )
    op.create_table('draft_answers',
    sa.Column('invitation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('question_id', sa.String(length=100), nullable=False),
    sa.Column('answer', sa.String(length=100), nullable=True),
    sa.Column('providers', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('prefilled', sa.Boolean(), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name='draft_answers_invitation'),
    sa.PrimaryKeyConstraint('invitation_id', 'question_id')
    )
    op.create_table('drafts',
    sa.Column('invitation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=True),
    sa.Column('revised', sa.Boolean(), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name='drafts_invitation'),
    sa.PrimaryKeyConstraint('invitation_id')
    )
    op.create_table('submitted_answers',
    sa.Column('invitation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('revision', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('question_id', sa.String(length=100), nullable=False),
    sa.Column('answer', sa.String(length=100), nullable=False),
    sa.Column('providers', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name='submitted_answers_invitation'),
    sa.PrimaryKeyConstraint('invitation_id', 'revision', 'question_id')
    )


def downgrade() -> None:
    op.drop_table('submitted_answers')
    op.drop_table('drafts')
    op.drop_table('draft_answers')
    op.drop_table('invitations')
    op.drop_table('rounds')
    op.drop_table('meta')
    with op.batch_alter_table('failures', schema=None) as batch_op:
        batch_op.drop_index('failures_by_client')

    op.drop_table('failures')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('events_by_invitation')

    op.drop_table('events')
