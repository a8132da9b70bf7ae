"""Lightning training: datamodule, module, trainer construction."""
