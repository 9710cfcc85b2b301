namespace MLNet.CSP.Detection;

/// <summary>Greedy non-maximum suppression per class, as torchvision's <c>batched_nms</c> keeps boxes.</summary>
public static class NonMaximumSuppression
{
    /// <summary>
    /// Keeps the highest-scoring box and drops every later box of the same class that overlaps a kept one by more than
    /// <paramref name="iouThreshold"/>, in descending score order (ties keep input order); at most <paramref name="maxDetections"/>.
    /// </summary>
    public static IReadOnlyList<ScoredBox> Apply(IReadOnlyList<ScoredBox> boxes, double iouThreshold, int maxDetections)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        if (!(iouThreshold >= 0 && iouThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "The NMS IoU threshold must be in [0, 1].");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDetections, 1);
        var order = boxes.Select((b, i) => (b, i)).OrderByDescending(x => x.b.Score).ThenBy(x => x.i).Select(x => x.b).ToArray();
        var kept = new List<ScoredBox>();
        var keptByClass = new Dictionary<int, List<BoundingBox>>();
        foreach (var candidate in order)
        {
            if (!keptByClass.TryGetValue(candidate.Label, out var same)) keptByClass[candidate.Label] = same = [];
            if (same.Any(k => k.IntersectionOverUnion(candidate.Box) > iouThreshold)) continue;
            same.Add(candidate.Box);
            kept.Add(candidate);
            if (kept.Count == maxDetections) break;
        }
        return kept;
    }
}
