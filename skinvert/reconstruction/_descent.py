"""MI-Face's projected descent, vectorised over every class and start at once."""

import numpy as np


class _Descent:
    """Vectorised projected descent of all classes and starts at once."""

    def __init__(self, attack, domain, mode, forward, oracle, rng):
        self.a, self.domain, self.mode = attack, domain, mode
        self.forward, self.oracle, self.rng = forward, oracle, rng
        self.per_grad = {
            "finite_difference": 2 * len(domain.min),
            "nes": 2 * attack.nes_samples,
        }.get(mode, 0)

    def proba(self, X):
        if self.mode == "analytic":
            return self.forward(X, np.zeros(X.shape[0], dtype=int))[0]
        return np.asarray(self.oracle(X), dtype=float)

    def cost(self, X, conf):
        if self.a.loss == "log":
            value = -np.log(np.maximum(conf, 1e-300))
        else:
            value = 1.0 - conf
        if self.a.alpha:
            z = (X - self.domain.mean) / self.domain.range
            value = value + self.a.alpha * np.mean(z**2, axis=1)
        return value

    def _grad_conf(self, X, codes):
        """Gradient of ``p_c`` at each row (zero-order modes)."""
        n, d = X.shape
        r = self.domain.range
        if self.mode == "finite_difference":
            h = self.a.fd_step * r
            probes = np.concatenate([np.diag(h), -np.diag(h)])  # (2d, d)
        else:
            m = self.a.nes_samples
            u = self.rng.standard_normal((n, m, d))
            probes = np.concatenate([u, -u], axis=1) * (self.a.nes_sigma * r)
        rows = (X[:, None, :] + probes).reshape(-1, d)
        p = np.asarray(self.oracle(rows), dtype=float)
        k = rows.shape[0] // n
        pc = p.reshape(n, k, -1)[np.arange(n), :, codes]  # (n, k)
        if self.mode == "finite_difference":
            return (pc[:, :d] - pc[:, d:]) / (2.0 * h)
        diff = pc[:, :m] - pc[:, m:]
        return np.einsum("nm,nmd->nd", diff, u) / (2.0 * m * self.a.nes_sigma * r)

    def value_grad(self, X, codes):
        if self.mode == "analytic":
            proba, g = self.forward(X, codes)
            conf = proba[np.arange(len(codes)), codes]
        else:
            g = self._grad_conf(X, codes)
            conf = None
        return conf, g

    def run(self, X, codes):
        a, domain = self.a, self.domain
        R = X.shape[0]
        X = domain.clip(X.copy())
        if a.max_iter == 0:
            return X, 0, "max_iter"
        if self.mode == "analytic":
            conf, g = self.value_grad(X, codes)
        else:
            conf = self.oracle(X)[np.arange(R), codes]
            g = None
        cost = self.cost(X, conf)
        step = np.full(R, float(a.learning_rate))
        active = np.ones(R, dtype=bool)
        stale = np.ones(R, dtype=bool)  # rows whose gradient must be recomputed
        grad = np.zeros_like(X)
        if g is not None:
            grad[:] = self._cost_grad(X, conf, g)
            stale[:] = False
        stopped, n_iter = "max_iter", 0
        for n_iter in range(1, a.max_iter + 1):
            need = np.flatnonzero(active & stale)
            idx = np.flatnonzero(active)
            if self.mode != "analytic":
                cost_rows = len(need) * self.per_grad + len(idx) + R  # R: final points
                if not self.oracle.affordable(cost_rows):
                    stopped, n_iter = "max_queries", n_iter - 1
                    break
                if len(need):
                    g = self._grad_conf(X[need], codes[need])
                    grad[need] = self._cost_grad(X[need], conf[need], g)
                    stale[need] = False
            direction = grad[idx] * domain.range
            norm = np.abs(direction).max(axis=1, keepdims=True)
            direction = np.divide(
                direction, norm, out=np.zeros_like(direction), where=norm > 0
            )
            trial = domain.clip(X[idx] - step[idx, None] * direction * domain.range)
            if self.mode == "analytic":
                t_conf, t_g = self.value_grad(trial, codes[idx])
            else:
                t_conf = self.oracle(trial)[np.arange(len(idx)), codes[idx]]
            t_cost = self.cost(trial, t_conf)
            better = t_cost < cost[idx]
            gain = cost[idx] - t_cost
            take = idx[better]
            X[take], conf[take], cost[take] = (
                trial[better],
                t_conf[better],
                t_cost[better],
            )
            if self.mode == "analytic":
                grad[take] = self._cost_grad(X[take], conf[take], t_g[better])
            else:
                stale[take] = True
            step[take] *= 1.5
            step[idx[~better]] *= 0.5
            done = (better & (gain < a.tol)) | (step[idx] < a.tol)
            active[idx[done]] = False
            if not active.any():
                stopped = "tol"
                break
        return X, n_iter, stopped

    def _cost_grad(self, X, conf, g):
        a = self.a
        g = -g / np.maximum(conf, 1e-300)[:, None] if a.loss == "log" else -g
        if a.alpha:
            r = self.domain.range
            g = g + a.alpha * 2.0 * (X - self.domain.mean) / r**2 / X.shape[1]
        return g
