"""makemore part 5's hierarchical network and training loop, copied from
../shared/reference/makemore_part5_wavenet.txt: the reference the tests and benchmarks compare the
app against. Changes: wrapped in a function; the torch global generator is seeded 42 inside
torch.random.fork_rng (so the caller's global state is left alone) and used, as the notebook uses
it, for the init, the batches and the samples; the net's sizes, fuses, steps, learning-rate decay
step and the lecture's BatchNorm bug (dim 0 only) are arguments; lossi is dropped.

`python bench/wavenet_loop.py names.txt [steps]` prints what the notebook's cells print for that
many steps: progress every 10,000, train and val loss, 20 names.
"""
from __future__ import annotations

import random
import sys

import torch
import torch.nn.functional as F


def notebook_layers(bn_bug: bool = False):
    """The notebook's layer classes (cell 7); bn_bug: BatchNorm1d's mean/var over dim 0 always."""

    class Linear:

        def __init__(self, fan_in, fan_out, bias=True):
            self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5  # note: kaiming init
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
                if x.ndim == 2 or bn_bug:
                    dim = 0
                elif x.ndim == 3:
                    dim = (0, 1)
                xmean = x.mean(dim, keepdim=True)  # batch mean
                xvar = x.var(dim, keepdim=True)  # batch variance
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

    class Embedding:

        def __init__(self, num_embeddings, embedding_dim):
            self.weight = torch.randn((num_embeddings, embedding_dim))

        def __call__(self, IX):
            self.out = self.weight[IX]
            return self.out

        def parameters(self):
            return [self.weight]

    class FlattenConsecutive:

        def __init__(self, n):
            self.n = n

        def __call__(self, x):
            B, T, C = x.shape
            x = x.view(B, T // self.n, C * self.n)
            if x.shape[1] == 1:
                x = x.squeeze(1)
            self.out = x
            return self.out

        def parameters(self):
            return []

    class Sequential:

        def __init__(self, layers):
            self.layers = layers

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            self.out = x
            return self.out

        def parameters(self):
            # get parameters of all layers and stretch them out into one list
            return [p for layer in self.layers for p in layer.parameters()]

    return Linear, BatchNorm1d, Tanh, Embedding, FlattenConsecutive, Sequential


def wavenet_run(Xtr, Ytr, vocab_size: int, steps: int, n_embd: int = 24, n_hidden: int = 128,
                fuses: tuple[int, ...] = (2, 2, 2), bn_bug: bool = False, decay_step: int = 150_000,
                print_every: int = 10_000, out=None, samples: int = 0, itos=None, splits=None):
    """Cells 8-15 of the notebook. Returns (losses, model, parameters, printed lines).
    `splits` {'train': (X, Y), 'val': (X, Y)} adds split_loss's lines; `samples` names are drawn
    after them from the same generator (itos decodes them)."""
    Linear, BatchNorm1d, Tanh, Embedding, FlattenConsecutive, Sequential = notebook_layers(bn_bug)
    lines = []

    def say(text):
        lines.append(text)
        if out is not None:
            print(text, file=out, flush=True)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(42)  # seed rng for reproducibility

        layers = [Embedding(vocab_size, n_embd)]
        fan_in = n_embd
        for n in fuses:
            layers += [FlattenConsecutive(n), Linear(fan_in * n, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh()]
            fan_in = n_hidden
        model = Sequential(layers + [Linear(n_hidden, vocab_size)])

        # parameter init
        with torch.no_grad():
            model.layers[-1].weight *= 0.1  # last layer make less confident

        parameters = model.parameters()
        for p in parameters:
            p.requires_grad = True

        # same optimization as last time
        max_steps = steps
        batch_size = 32
        losses = []

        for i in range(max_steps):

            # minibatch construct
            ix = torch.randint(0, Xtr.shape[0], (batch_size,))
            Xb, Yb = Xtr[ix], Ytr[ix]  # batch X,Y

            # forward pass
            logits = model(Xb)
            loss = F.cross_entropy(logits, Yb)  # loss function

            # backward pass
            for p in parameters:
                p.grad = None
            loss.backward()

            # update: simple SGD
            lr = 0.1 if i < decay_step else 0.01  # step learning rate decay
            for p in parameters:
                p.data += -lr * p.grad

            # track stats
            if i % print_every == 0:  # print every once in a while
                say(f'{i:7d}/{max_steps:7d}: {loss.item():.4f}')
            losses.append(loss.item())

        # put layers into eval mode (needed for batchnorm especially)
        for layer in model.layers:
            layer.training = False

        # evaluate the loss
        @torch.no_grad()  # this decorator disables gradient tracking inside pytorch
        def split_loss(split):
            x, y = splits[split]
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            say(f"{split} {loss.item()}")

        if splits is not None:
            split_loss('train')
            split_loss('val')

        # sample from the model
        block_size = Xtr.shape[1]
        for _ in range(samples):
            out_ix = []
            context = [0] * block_size  # initialize with all ...
            while True:
                # forward pass the neural net
                logits = model(torch.tensor([context]))
                probs = F.softmax(logits, dim=1)
                # sample from the distribution
                ix = torch.multinomial(probs, num_samples=1).item()
                # shift the context window and track the samples
                context = context[1:] + [ix]
                out_ix.append(ix)
                # if we sample the special '.' token, break
                if ix == 0:
                    break
            say(''.join(itos[i] for i in out_ix))  # decode and print the generated word
    return losses, model, parameters, lines


def notebook_dataset(path: str, block_size: int = 8):
    """Cells 2-5: the words shuffled with random.seed(42), 80/10/10, contexts of block_size."""
    words = open(path).read().splitlines()
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    itos = {i: s for s, i in stoi.items()}
    random.seed(42)
    random.shuffle(words)

    def build_dataset(words):
        X, Y = [], []
        for w in words:
            context = [0] * block_size
            for ch in w + '.':
                ix = stoi[ch]
                X.append(context)
                Y.append(ix)
                context = context[1:] + [ix]  # crop and append
        return torch.tensor(X), torch.tensor(Y)

    n1 = int(0.8 * len(words))
    n2 = int(0.9 * len(words))
    return {"train": build_dataset(words[:n1]), "val": build_dataset(words[n1:n2]),
            "test": build_dataset(words[n2:])}, itos


if __name__ == "__main__":
    torch.set_num_threads(1)   # as main.py --headless
    splits, itos = notebook_dataset(sys.argv[1])
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    Xtr, Ytr = splits["train"]
    wavenet_run(Xtr, Ytr, len(itos), steps, out=sys.stdout, samples=20, itos=itos, splits=splits)
