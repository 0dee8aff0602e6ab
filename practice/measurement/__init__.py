"""Measurement-based care, the pure part: instrument definitions (versioned data validated on
load), the shipped library, and scoring. No database and no Django imports here, so every rule
can be tested and explained without a practice."""
