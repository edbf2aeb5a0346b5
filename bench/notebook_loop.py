"""The seed notebook's own training loop, verbatim but for printing: the reference that
benchmarks and reproduction tests compare the app's engine against."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def notebook_run(Xtr, Ytr, vocab_size: int, max_steps: int, n_embed: int = 10, n_hidden: int = 200,
                 block_size: int = 3, batch_size: int = 32, decay_step: int = 50000):
    """Returns (lossi as plain losses, parameters, bnmean_running, bnstds_running)."""
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((vocab_size, n_embed), generator=g)
    W1 = torch.randn((n_embed * block_size, n_hidden), generator=g) * (5/3)/((n_embed * block_size) ** 0.5)
    b1 = torch.randn(n_hidden, generator=g) * 0.01
    W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.01
    b2 = torch.randn(vocab_size, generator=g) * 0
    bngain = torch.ones((1, n_hidden))
    bnbias = torch.zeros((1, n_hidden))
    bnmean_running = torch.zeros((1, n_hidden))
    bnstds_running = torch.ones((1, n_hidden))
    parameters = [C, W1, b1, W2, b2, bngain, bnbias]
    for p in parameters:
        p.requires_grad = True
    losses = []
    for i in range(max_steps):
        ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
        Xb, Yb = Xtr[ix], Ytr[ix]
        emb = C[Xb]
        embcat = emb.view(emb.shape[0], -1)
        hpreact = embcat @ W1 + b1
        bnmeani = hpreact.mean(0, keepdim=True)
        bnstdi = hpreact.std(0, keepdim=True)
        hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
        with torch.no_grad():
            bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
            bnstds_running = 0.999 * bnstds_running + 0.001 * bnstdi
        h = torch.tanh(hpreact)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Yb)
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < decay_step else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        losses.append(loss.item())  # the notebook appends loss.log10().item(); one sync either way
    return losses, parameters, bnmean_running, bnstds_running
