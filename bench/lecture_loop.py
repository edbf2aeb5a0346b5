"""The lecture's deep network and training loop (makemore part 3, 'SUMMARY + PYTORCHIFYING'),
copied from ../shared/reference/makemore_part3_deep.txt: the reference that tests and benchmarks
compare the app's engine against. Changes: wrapped in a function; `batchnorm=False` builds the
commented-out layer list (and scales the last weight, the commented-out line, instead of gamma);
the gain and the number of steps are arguments (the cell's `if i >= 1000: break` is steps=1001);
the printing, lossi and ud are dropped (`track_ud=True` keeps ud)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def lecture_run(Xtr, Ytr, vocab_size: int, steps: int, batchnorm: bool = True, gain: float = 1.0,
                tanh: bool = True, n_embd: int = 10, n_hidden: int = 100, block_size: int = 3,
                track_ud: bool = False):
    """Returns (losses, layers, parameters, C, ud)."""
    g = torch.Generator().manual_seed(2147483647)  # for reproducibility

    class Linear:

        def __init__(self, fan_in, fan_out, bias=True):
            self.weight = torch.randn((fan_in, fan_out), generator=g) / fan_in**0.5
            self.bias = torch.zeros(fan_out) if bias else None

        def __call__(self, x):
            self.out = x @ self.weight
            if self.bias is not None:
                self.out += self.bias
            return self.out

        def parameters(self):
            return [self.weight] + ([] if self.bias is None else [self.bias])

    class BatchNorm1d:

        def __init__(self, dim, eps=1e-5, momentum=0.1):
            self.eps = eps
            self.momentum = momentum
            self.training = True
            # parameters (trained with backprop)
            self.gamma = torch.ones(dim)
            self.beta = torch.zeros(dim)
            # buffers (trained with a running 'momentum update')
            self.running_mean = torch.zeros(dim)
            self.running_var = torch.ones(dim)

        def __call__(self, x):
            # calculate the forward pass
            if self.training:
                xmean = x.mean(0, keepdim=True)  # batch mean
                xvar = x.var(0, keepdim=True)  # batch variance
            else:
                xmean = self.running_mean
                xvar = self.running_var
            xhat = (x - xmean) / torch.sqrt(xvar + self.eps)  # normalize to unit variance
            self.out = self.gamma * xhat + self.beta
            # update the buffers
            if self.training:
                with torch.no_grad():
                    self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                    self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
            return self.out

        def parameters(self):
            return [self.gamma, self.beta]

    class Tanh:
        def __call__(self, x):
            self.out = torch.tanh(x)
            return self.out

        def parameters(self):
            return []

    class Identity:  # the "linear only" experiment: the Tanh layers taken out
        def __call__(self, x):
            self.out = x
            return self.out

        def parameters(self):
            return []

    Act = Tanh if tanh else Identity
    C = torch.randn((vocab_size, n_embd), generator=g)
    if batchnorm:
        layers = [
            Linear(n_embd * block_size, n_hidden, bias=False), BatchNorm1d(n_hidden), Act(),
            Linear(n_hidden, n_hidden, bias=False), BatchNorm1d(n_hidden), Act(),
            Linear(n_hidden, n_hidden, bias=False), BatchNorm1d(n_hidden), Act(),
            Linear(n_hidden, n_hidden, bias=False), BatchNorm1d(n_hidden), Act(),
            Linear(n_hidden, n_hidden, bias=False), BatchNorm1d(n_hidden), Act(),
            Linear(n_hidden, vocab_size, bias=False), BatchNorm1d(vocab_size),
        ]
    else:
        layers = [
            Linear(n_embd * block_size, n_hidden), Act(),
            Linear(n_hidden, n_hidden), Act(),
            Linear(n_hidden, n_hidden), Act(),
            Linear(n_hidden, n_hidden), Act(),
            Linear(n_hidden, n_hidden), Act(),
            Linear(n_hidden, vocab_size),
        ]
    if not tanh:
        layers = [layer for layer in layers if not isinstance(layer, Identity)]

    with torch.no_grad():
        # last layer: make less confident
        if batchnorm:
            layers[-1].gamma *= 0.1
        else:
            layers[-1].weight *= 0.1
        # all other layers: apply gain
        for layer in layers[:-1]:
            if isinstance(layer, Linear):
                layer.weight *= gain

    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    for p in parameters:
        p.requires_grad = True

    batch_size = 32
    losses, ud = [], []
    for i in range(steps):
        # minibatch construct
        ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
        Xb, Yb = Xtr[ix], Ytr[ix]  # batch X,Y
        # forward pass
        emb = C[Xb]  # embed the characters into vectors
        x = emb.view(emb.shape[0], -1)  # concatenate the vectors
        for layer in layers:
            x = layer(x)
        loss = F.cross_entropy(x, Yb)  # loss function
        # backward pass
        for layer in layers:
            layer.out.retain_grad()
        for p in parameters:
            p.grad = None
        loss.backward()
        # update
        lr = 0.1 if i < 150000 else 0.01  # step learning rate decay
        for p in parameters:
            p.data += -lr * p.grad
        losses.append(loss.item())
        if track_ud:
            with torch.no_grad():
                ud.append([((lr * p.grad).std() / p.data.std()).log10().item() for p in parameters])
    for layer in layers:
        if isinstance(layer, BatchNorm1d):
            layer.training = False
    return losses, layers, parameters, C, ud
