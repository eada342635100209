"""The fine-tune objective that trains what the product predicts with.

The loop's predictor is :class:`learner.head.EmbeddingHead`: a linear function of
the encoder's mean-pooled token vectors, centred and scaled to unit length
(:func:`learner.head.head_features`). Fine-tuning a fresh linear layer on the
first token (``BertForSequenceClassification``'s own head) only trains the encoder
indirectly for that predictor, and from random starting weights. :class:`MeanHeadModel`
instead puts a linear layer on exactly those features and starts it from the head
fitted on the starting encoder's embeddings, so the first step already has the
head's accuracy and every step moves the encoder toward features that head reads.

Measured (docs/benchmarks.md, "Fine-tune recipe"): on TREC-6 at 100 labels the head
on the fine-tuned encoder scored 93.4% (test) against 69.6% with the first-token
objective at 3 epochs; in the full two-tier loop 84.0% against 63.4% at 100 labels
and 95.8% against 95.2% at 500.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F

# A class the starting head never saw has the logit bias learner.head.UNSEEN_LOGIT (-1e4);
# training starts it at this finite value instead, so its gradient stays of usual size.
UNSEEN_START = -30.0


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of the token vectors under the attention mask, L2-normalised, in fp32."""
    hidden = hidden.float()
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    summed = (hidden * mask).sum(dim=1)
    counts = mask.sum(dim=1).clamp(min=1.0)
    return F.normalize(summed / counts, p=2, dim=-1)


def centred_unit(vectors: torch.Tensor) -> torch.Tensor:
    """:func:`learner.head.head_features` in torch: rows centred, then scaled to unit length."""
    centred = vectors - vectors.mean(dim=1, keepdim=True)
    return F.normalize(centred, p=2, dim=1)


class MeanHeadModel(torch.nn.Module):
    """``encoder`` -> masked mean pool -> centre and normalise -> linear, as ``.logits``.

    ``encoder`` is shared, not copied: training this module trains the classifier's
    encoder in place. ``coef`` (k x d) and ``intercept`` (k) start the linear layer.
    """

    def __init__(self, encoder: torch.nn.Module, coef: np.ndarray, intercept: np.ndarray):
        super().__init__()
        self.encoder = encoder
        k, d = np.shape(coef)
        self.linear = torch.nn.Linear(d, k)
        device = next(encoder.parameters()).device
        with torch.no_grad():
            self.linear.weight.copy_(torch.as_tensor(np.asarray(coef), dtype=torch.float32))
            self.linear.bias.copy_(torch.as_tensor(np.maximum(np.asarray(intercept), UNSEEN_START),
                                                   dtype=torch.float32))
        self.linear.to(device)

    def features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **inputs) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **inputs).last_hidden_state
        return mean_pool(hidden, attention_mask)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **inputs) -> SimpleNamespace:
        pooled = self.features(input_ids, attention_mask, **inputs)
        return SimpleNamespace(logits=self.linear(centred_unit(pooled)), pooled=pooled)

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """``(coef, intercept)`` of the linear layer as float64 arrays."""
        return (self.linear.weight.detach().cpu().double().numpy(),
                self.linear.bias.detach().cpu().double().numpy())
