"""Security parameters near their prior means and a 1935 army, shared by the unit tests
of the terror and the army (``test_soviet_succession.py``, ``test_mechanisms.py``)."""

from __future__ import annotations

import jax.numpy as jnp

from abm.models.interwar.soviet import security as S
from abm.models.interwar.soviet.types import Security

f32 = jnp.float32

SEC = S.SecurityParams(
    **{
        k: f32(v)
        for k, v in dict(
            terror_rate=0.05,
            rival_insecurity=1.0,
            threat_insecurity=1.2,
            famine_insecurity=0.02,
            collective_purge_damping=0.3,
            terror_months=20.0,
            executions_at_full=500_000.0,
            arrest_ratio=2.3,
            officer_ratio=0.1,
            officer_discharge_share=0.24,
            officer_arrest_share=0.27,
            reinstatement_share=0.3,
            command_quality_base=0.68,
            quality_purge_loss=1.75,
            quality_recovery=5.5,
            expansion_dilution=0.15,
            cadre_loss_share=0.5,
            army_growth=0.22,
            war_expansion=0.3,
        ).items()
    }
)
ARMY_0 = Security(
    army=f32(1500.0),
    quality=f32(0.65),
    quality_1941=f32(0.0),
    intensity=f32(0.0),
    wave_start=jnp.int32(-1),
    first_wave=jnp.int32(-1),
    executions=f32(0.0),
    arrests=f32(0.0),
    officers_purged=f32(0.0),
    officers_arrested=f32(0.0),
    to_reinstate=f32(0.0),
    cadres_lost=f32(0.0),
    army_record=jnp.zeros((2,), jnp.float32),
)
