"""Operations commands run from a workstation against a deployed stage (never shipped to Lambda)."""
