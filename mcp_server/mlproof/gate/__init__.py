"""The anti-fake-pass gate: refuse "done" / "promoted" / "monitored" without evidence."""

from mlproof.gate.engine import gate_claim, load_claims, resolve_claim
from mlproof.gate.models import GateVerdict, Proof, ProofPart

__all__ = ["GateVerdict", "Proof", "ProofPart", "gate_claim", "load_claims", "resolve_claim"]
