"""Reference numbers for test/data/ms-ssim.test.ts (run once by hand; the test does not need Python).

A float64 numpy re-implementation of pytorch_msssim.ms_ssim (VainF/pytorch-msssim) with
data_range=255, written from its description, independently of src/data/ms-ssim.ts.
Prints: W H C amp ms-ssim psnr.
"""
import numpy as np

def gen(W, H, C, amp):
    s = 2463534242
    a = np.zeros(W*H*C, np.int64); b = np.zeros(W*H*C, np.int64)
    for i in range(W*H*C):
        p = i // C; c = i % C; y = p // W; x = p % W
        v = (2*x + y + 50*c + ((x >> 4) * (y >> 4) * 13)) & 255
        s ^= (s << 13) & 0xFFFFFFFF; s ^= s >> 17; s ^= (s << 5) & 0xFFFFFFFF
        a[i] = v
        b[i] = min(255, max(0, v + (s % (2*amp+1)) - amp))
    return a.reshape(H, W, C).astype(np.float64), b.reshape(H, W, C).astype(np.float64)

def gauss():
    x = np.arange(11) - 5
    g = np.exp(-(x**2) / (2*1.5**2)); return g / g.sum()

def filt(img):
    g = gauss()
    H, W = img.shape
    t = np.stack([sum(g[k]*img[:, j+k] for k in range(11)) for j in range(W-10)], axis=1)
    return np.stack([sum(g[k]*t[i+k, :] for k in range(11)) for i in range(H-10)], axis=0)

def ssim(X, Y):
    C1 = (0.01*255)**2; C2 = (0.03*255)**2
    mu1, mu2 = filt(X), filt(Y)
    s11 = filt(X*X) - mu1**2; s22 = filt(Y*Y) - mu2**2; s12 = filt(X*Y) - mu1*mu2
    cs = (2*s12 + C2) / (s11 + s22 + C2)
    ss = ((2*mu1*mu2 + C1) / (mu1**2 + mu2**2 + C1)) * cs
    return ss.mean(), cs.mean()

def pool(X):
    ph, pw = X.shape[0] % 2, X.shape[1] % 2
    P = np.pad(X, ((ph, ph), (pw, pw)))
    oh = (X.shape[0] + 2*ph - 2)//2 + 1; ow = (X.shape[1] + 2*pw - 2)//2 + 1
    P = P[:2*oh, :2*ow]
    return (P[0::2, 0::2] + P[1::2, 0::2] + P[0::2, 1::2] + P[1::2, 1::2]) / 4

def msssim(A, B):
    w = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]
    vals = []
    for c in range(A.shape[2]):
        X, Y = A[:, :, c], B[:, :, c]; v = 1.0
        for l in range(5):
            s, cs = ssim(X, Y)
            if l < 4:
                v *= max(cs, 0)**w[l]; X, Y = pool(X), pool(Y)
            else:
                v *= max(s, 0)**w[l]
        vals.append(v)
    return np.mean(vals)

for (W, H, C, amp) in [(200, 170, 3, 20), (176, 176, 1, 60)]:
    A, B = gen(W, H, C, amp)
    mse = ((A - B)**2).mean()
    print(W, H, C, amp, repr(float(msssim(A, B))), repr(float(10*np.log10(255**2/mse))))
