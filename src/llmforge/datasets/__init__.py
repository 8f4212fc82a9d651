"""Fine-tuning datasets: upload, validation, statistics, preview and the train/held-out split."""
