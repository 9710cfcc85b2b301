namespace MLNet.CSP.Detection.Evaluation;

/// <summary>
/// COCOeval.evaluateImg for one image, class and area range: detections sorted by score (stable) and cut to the limit,
/// ground truth outside the area range ignored and sorted last, greedy matching per IoU threshold.
/// </summary>
internal sealed class CocoImageMatch
{
    private CocoImageMatch(double[] scores, bool[,] matched, bool[,] ignored, int nonIgnoredTruth)
    {
        (Scores, Matched, Ignored, NonIgnoredTruth) = (scores, matched, ignored, nonIgnoredTruth);
    }

    /// <summary>Scores of the kept detections, highest first.</summary>
    public double[] Scores { get; }

    /// <summary>[threshold, detection]: matched to a ground-truth box.</summary>
    public bool[,] Matched { get; }

    /// <summary>[threshold, detection]: left out of the counts (matched to an ignored box, or unmatched outside the area range).</summary>
    public bool[,] Ignored { get; }

    /// <summary>Ground-truth boxes inside the area range.</summary>
    public int NonIgnoredTruth { get; }

    /// <summary>The matching, or null when the image has neither ground truth nor detections of the class.</summary>
    public static CocoImageMatch? Create(BoundingBox[] truth, ScoredBox[] detections, (double Low, double High) area, double[] iouThresholds, int maxDetections)
    {
        if (truth.Length == 0 && detections.Length == 0) return null;
        static bool Outside(double value, (double Low, double High) range) => value < range.Low || value > range.High;

        var gt = truth.OrderBy(g => Outside(g.Area, area) ? 1 : 0).ToArray(); // stable: non-ignored first
        var truthIgnored = gt.Select(g => Outside(g.Area, area)).ToArray();
        var dt = detections.OrderByDescending(d => d.Score).Take(maxDetections).ToArray(); // stable by score

        int T = iouThresholds.Length, D = dt.Length, G = gt.Length;
        var iou = new double[D, G];
        for (int d = 0; d < D; d++)
            for (int g = 0; g < G; g++)
                iou[d, g] = dt[d].Box.IntersectionOverUnion(gt[g]);

        var matched = new bool[T, D];
        var ignored = new bool[T, D];
        for (int t = 0; t < T; t++)
        {
            var truthTaken = new bool[G];
            for (int d = 0; d < D; d++)
            {
                double best = Math.Min(iouThresholds[t], 1 - 1e-10);
                int m = -1;
                for (int g = 0; g < G; g++)
                {
                    if (truthTaken[g]) continue;
                    // Once matched to a box that counts, stop at the ignored ones (sorted last).
                    if (m > -1 && !truthIgnored[m] && truthIgnored[g]) break;
                    if (iou[d, g] < best) continue;
                    best = iou[d, g];
                    m = g;
                }
                if (m == -1) continue;
                ignored[t, d] = truthIgnored[m];
                matched[t, d] = true;
                truthTaken[m] = true;
            }
            for (int d = 0; d < D; d++)
                if (!matched[t, d] && Outside(dt[d].Box.Area, area)) ignored[t, d] = true;
        }
        return new CocoImageMatch(dt.Select(d => (double)d.Score).ToArray(), matched, ignored, truthIgnored.Count(i => !i));
    }
}
