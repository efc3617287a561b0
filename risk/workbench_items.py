"""Risk control on the workbench (工作台): what risk officers have waiting (cases part)."""
