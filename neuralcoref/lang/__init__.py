"""Language rule sets: one module per ISO code, each registering a `RuleSet`."""
