"""data versions per municipality, and the key a calendar link's body was built from

Revision ID: b7d2f0c4a915
Revises: a8e1c0d4f201
Create Date: 2026-11-27 18:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d2f0c4a915'
down_revision = 'a8e1c0d4f201'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_version',
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'],
                            name=op.f('fk_data_version_municipality_id_municipality'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('municipality_id', name=op.f('pk_data_version'))
    )
    # ADD COLUMN only: SQLite keeps the table as it is.
    op.add_column('feed_token', sa.Column('body_key', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('feed_token', schema=None) as batch_op:
        batch_op.drop_column('body_key')
    op.drop_table('data_version')
