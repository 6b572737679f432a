"""Statistics: confidence intervals for means and for differences between alternatives."""
