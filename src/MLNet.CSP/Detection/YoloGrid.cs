namespace MLNet.CSP.Detection;

/// <summary>
/// YOLOv3's box coding on one scale: a head map [N, A*(5+K), H, W] viewed as [N, A, H, W, 5+K]; a cell's box centre is
/// (sigmoid(t) + cell) * stride, its size exp(t) * anchor (t clamped at 6 against overflow), in input pixels.
/// </summary>
internal static class YoloGrid
{
    /// <summary>The largest exponent of a box size: exp(6) = 403 times the anchor.</summary>
    private const double MaxLogScale = 6;

    /// <summary>[N, A*(5+K), H, W] -> [N, A, H, W, 5+K] (a view).</summary>
    public static Tensor PerAnchor(Tensor raw, int anchors)
    {
        long values = raw.shape[1] / anchors;
        return raw.view(raw.shape[0], anchors, values, raw.shape[2], raw.shape[3]).permute(0, 1, 3, 4, 2);
    }

    /// <summary>Boxes (cx, cy, w, h) in input pixels from the first four values [.., 4] at the given cells and anchors.</summary>
    /// <param name="t">tx, ty, tw, th [M, 4].</param>
    /// <param name="cellX">Cell column of each row [M].</param>
    /// <param name="cellY">Cell row of each row [M].</param>
    /// <param name="anchor">Anchor width and height of each row [M, 2].</param>
    /// <param name="stride">The scale's stride.</param>
    public static Tensor Decode(Tensor t, Tensor cellX, Tensor cellY, Tensor anchor, int stride)
    {
        using var scope = torch.NewDisposeScope();
        var xy = (t[.., ..2].sigmoid() + torch.stack([cellX, cellY], 1)) * stride;
        var wh = t[.., 2..4].clamp(max: MaxLogScale).exp() * anchor;
        return torch.cat([xy, wh], 1).MoveToOuterDisposeScope();
    }

    /// <summary>Every cell's decoded box of one scale: [N, A, H, W, 4] as (cx, cy, w, h).</summary>
    public static Tensor DecodeAll(Tensor perAnchor, IReadOnlyList<(float Width, float Height)> anchors, int stride)
    {
        using var scope = torch.NewDisposeScope();
        long n = perAnchor.shape[0], a = perAnchor.shape[1], h = perAnchor.shape[2], w = perAnchor.shape[3];
        var device = perAnchor.device;
        var gy = torch.arange(h, device: device, dtype: ScalarType.Float32).view(1, 1, h, 1).expand(n, a, h, w);
        var gx = torch.arange(w, device: device, dtype: ScalarType.Float32).view(1, 1, 1, w).expand(n, a, h, w);
        var anchorSizes = torch.tensor(anchors.SelectMany(s => new[] { s.Width, s.Height }).ToArray(), device: device).view(1, a, 1, 1, 2);
        var t = perAnchor[.., .., .., .., ..4];
        var xy = (t[.., .., .., .., ..2].sigmoid() + torch.stack([gx, gy], -1)) * stride;
        var wh = t[.., .., .., .., 2..4].clamp(max: MaxLogScale).exp() * anchorSizes;
        return torch.cat([xy, wh], -1).MoveToOuterDisposeScope();
    }

    /// <summary>(cx, cy, w, h) -> (x0, y0, x1, y1) along the last dimension.</summary>
    public static Tensor ToCorners(Tensor centreSize)
    {
        using var scope = torch.NewDisposeScope();
        var xy = centreSize[TensorIndex.Ellipsis, ..2];
        var half = centreSize[TensorIndex.Ellipsis, 2..4] / 2;
        return torch.cat([xy - half, xy + half], -1).MoveToOuterDisposeScope();
    }
}
