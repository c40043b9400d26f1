"""PyTorch trainer for neuralcoref: reads gold corpora, trains the scorer, evaluates it."""
