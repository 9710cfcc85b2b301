namespace MLNet.CSP.Detection;

/// <summary>IoU-family measures between boxes given as (cx, cy, w, h) tensors.</summary>
internal static class BoxIou
{
    private const double Eps = 1e-7;

    /// <summary>Pairwise IoU [M, G] between corner boxes a [M, 4] and b [G, 4].</summary>
    public static Tensor Pairwise(Tensor a, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        var lt = torch.maximum(a[.., ..2].unsqueeze(1), b[.., ..2].unsqueeze(0));
        var rb = torch.minimum(a[.., 2..].unsqueeze(1), b[.., 2..].unsqueeze(0));
        var wh = (rb - lt).clamp(min: 0);
        var inter = wh[.., .., 0] * wh[.., .., 1];
        var areaA = (a[.., 2] - a[.., 0]) * (a[.., 3] - a[.., 1]);
        var areaB = (b[.., 2] - b[.., 0]) * (b[.., 3] - b[.., 1]);
        return (inter / (areaA.unsqueeze(1) + areaB.unsqueeze(0) - inter + Eps)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Complete IoU of matched rows (Zheng et al. 2020, darknet's <c>iou_loss=ciou</c>): IoU minus the squared centre
    /// distance over the squared diagonal of the enclosing box, minus alpha * v for the aspect ratio (alpha without gradient).
    /// With <paramref name="complete"/> false, the plain IoU.
    /// </summary>
    public static Tensor Matched(Tensor pred, Tensor target, bool complete)
    {
        using var scope = torch.NewDisposeScope();
        var p0 = pred[.., ..2] - pred[.., 2..] / 2;
        var p1 = pred[.., ..2] + pred[.., 2..] / 2;
        var t0 = target[.., ..2] - target[.., 2..] / 2;
        var t1 = target[.., ..2] + target[.., 2..] / 2;
        var interWh = (torch.minimum(p1, t1) - torch.maximum(p0, t0)).clamp(min: 0);
        var inter = interWh[.., 0] * interWh[.., 1];
        var union = pred[.., 2] * pred[.., 3] + target[.., 2] * target[.., 3] - inter + Eps;
        var iou = inter / union;
        if (!complete) return iou.MoveToOuterDisposeScope();
        var enclose = torch.maximum(p1, t1) - torch.minimum(p0, t0);
        var c2 = enclose.pow(2).sum(1) + Eps;
        var rho2 = (pred[.., ..2] - target[.., ..2]).pow(2).sum(1);
        var v = (4 / (Math.PI * Math.PI)) * (torch.atan(target[.., 2] / (target[.., 3] + Eps)) - torch.atan(pred[.., 2] / (pred[.., 3] + Eps))).pow(2);
        Tensor alpha;
        using (torch.no_grad()) alpha = v / (1 - iou + v + Eps);
        return (iou - (rho2 / c2 + alpha * v)).MoveToOuterDisposeScope();
    }
}
