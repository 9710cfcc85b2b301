namespace MLNet.CSP.Detection.Evaluation;

/// <summary>
/// Box detection metrics computed exactly as pycocotools' <c>COCOeval</c> (<c>iouType='bbox'</c>): IoU thresholds
/// 0.50:0.05:0.95, 101 recall points, detections matched greedily in score order per image and class (a match to an
/// ignored ground truth is ignored), area ranges 32² and 96², at most 1/10/100 detections per image, no +1 in box
/// sizes. Every ground-truth box counts (ML.NET data has no "crowd" flag); a class without ground truth is left out of
/// the means, as COCO leaves it out.
/// </summary>
public static class CocoEvaluator
{
    private static readonly double[] IouThresholds = LinearSpace(0.5, 0.95, 10);
    private static readonly double[] RecallThresholds = LinearSpace(0.0, 1.0, 101);
    private static readonly int[] MaxDetections = [1, 10, 100];
    private static readonly (double Low, double High)[] AreaRanges =
        [(0, 1e5 * 1e5), (0, 32 * 32), (32 * 32, 96 * 96), (96 * 96, 1e5 * 1e5)];

    /// <summary>Evaluates detections against ground truth, image by image (both lists in the same image order).</summary>
    /// <param name="groundTruth">The objects of each image (an image may have none).</param>
    /// <param name="detections">The detections of each image (an image may have none).</param>
    /// <exception cref="ArgumentException">The lists differ in length, or a box or score is not finite, or a box is inverted.</exception>
    public static CocoMetrics Evaluate(IReadOnlyList<IReadOnlyList<LabeledBox>> groundTruth, IReadOnlyList<IReadOnlyList<ScoredBox>> detections)
    {
        ArgumentNullException.ThrowIfNull(groundTruth);
        ArgumentNullException.ThrowIfNull(detections);
        if (groundTruth.Count != detections.Count)
            throw new ArgumentException($"Ground truth has {groundTruth.Count} images but detections have {detections.Count}; give both for every image, in the same order.", nameof(detections));
        for (int i = 0; i < groundTruth.Count; i++)
        {
            foreach (var g in groundTruth[i] ?? throw new ArgumentException($"Ground truth of image {i} is null.", nameof(groundTruth)))
                CheckBox(g.Box, i, nameof(groundTruth));
            foreach (var d in detections[i] ?? throw new ArgumentException($"Detections of image {i} are null.", nameof(detections)))
            {
                CheckBox(d.Box, i, nameof(detections));
                if (!float.IsFinite(d.Score)) throw new ArgumentException($"Image {i} has a detection with score {d.Score}; scores must be finite.", nameof(detections));
            }
        }

        int[] classes = groundTruth.SelectMany(g => g.Select(b => b.Label))
            .Concat(detections.SelectMany(d => d.Select(b => b.Label))).Distinct().Order().ToArray();
        int T = IouThresholds.Length, R = RecallThresholds.Length, K = classes.Length, A = AreaRanges.Length, M = MaxDetections.Length;
        var precision = new double[T, R, K, A, M];
        var recall = new double[T, K, A, M];
        Fill(precision, -1);
        Fill(recall, -1);

        for (int k = 0; k < K; k++)
        {
            var truthOfClass = groundTruth.Select(g => g.Where(b => b.Label == classes[k]).Select(b => b.Box).ToArray()).ToArray();
            var detectionsOfClass = detections.Select(d => d.Where(b => b.Label == classes[k]).ToArray()).ToArray();
            for (int a = 0; a < A; a++)
            {
                var matches = new List<CocoImageMatch>(truthOfClass.Length);
                for (int i = 0; i < truthOfClass.Length; i++)
                {
                    var match = CocoImageMatch.Create(truthOfClass[i], detectionsOfClass[i], AreaRanges[a], IouThresholds, MaxDetections[^1]);
                    if (match is not null) matches.Add(match);
                }
                for (int m = 0; m < M; m++) Accumulate(matches, MaxDetections[m], precision, recall, k, a, m);
            }
        }

        var perClass = new Dictionary<int, double>();
        for (int k = 0; k < K; k++)
        {
            double ap = MeanOfValid(Enumerate(precision, t => true, k, 0, M - 1));
            if (!double.IsNaN(ap)) perClass[classes[k]] = ap;
        }
        double Ap(int? t, int a) => MeanOfValid(Enumerate(precision, i => t is null || i == t, null, a, M - 1));
        double Ar(int a, int m) => MeanOfValid(EnumerateRecall(recall, a, m));
        return new CocoMetrics(
            Ap(null, 0), Ap(0, 0), Ap(5, 0), Ap(null, 1), Ap(null, 2), Ap(null, 3),
            Ar(0, 0), Ar(0, 1), Ar(0, 2), Ar(1, 2), Ar(2, 2), Ar(3, 2),
            perClass);
    }

    /// <summary>COCOeval.accumulate for one class, area range and detection limit.</summary>
    private static void Accumulate(List<CocoImageMatch> matches, int maxDetections, double[,,,,] precision, double[,,,] recall, int k, int a, int m)
    {
        int nonIgnoredTruth = matches.Sum(x => x.NonIgnoredTruth);
        if (nonIgnoredTruth == 0) return;
        // Concatenate each image's first maxDetections (already score-sorted), then a stable sort by descending score.
        var entries = matches.SelectMany(x => Enumerable.Range(0, Math.Min(maxDetections, x.Scores.Length)).Select(d => (Match: x, Index: d)))
            .OrderByDescending(e => e.Match.Scores[e.Index]).ToArray();
        int n = entries.Length;
        var pr = new double[n];
        var rc = new double[n];
        for (int t = 0; t < IouThresholds.Length; t++)
        {
            double tp = 0, fp = 0;
            for (int i = 0; i < n; i++)
            {
                var (match, d) = entries[i];
                if (!match.Ignored[t, d])
                {
                    if (match.Matched[t, d]) tp++;
                    else fp++;
                }
                rc[i] = tp / nonIgnoredTruth;
                pr[i] = tp / (fp + tp + Epsilon);
            }
            recall[t, k, a, m] = n > 0 ? rc[n - 1] : 0;
            for (int i = n - 1; i > 0; i--)
                if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
            // COCO's precision at recall levels never reached stays 0 (its IndexError ends the fill).
            for (int r = 0; r < RecallThresholds.Length; r++) precision[t, r, k, a, m] = 0;
            for (int r = 0; r < RecallThresholds.Length; r++)
            {
                int at = LowerBound(rc, RecallThresholds[r]);
                if (at >= n) break;
                precision[t, r, k, a, m] = pr[at];
            }
        }
    }

    /// <summary>numpy's <c>np.spacing(1)</c>, which COCO adds to the precision's denominator.</summary>
    private const double Epsilon = 2.220446049250313e-16;

    /// <summary>First index whose value is at least <paramref name="value"/> (numpy's searchsorted, side='left').</summary>
    private static int LowerBound(double[] sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>numpy's <c>linspace</c> with its endpoint: <c>start + i * step</c>, the last value exactly <paramref name="stop"/>.</summary>
    private static double[] LinearSpace(double start, double stop, int count)
    {
        double step = (stop - start) / (count - 1);
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = i * step + start;
        values[^1] = stop;
        return values;
    }

    private static IEnumerable<double> Enumerate(double[,,,,] precision, Func<int, bool> iou, int? k, int a, int m)
    {
        for (int t = 0; t < precision.GetLength(0); t++)
        {
            if (!iou(t)) continue;
            for (int r = 0; r < precision.GetLength(1); r++)
                for (int c = 0; c < precision.GetLength(2); c++)
                    if (k is null || c == k) yield return precision[t, r, c, a, m];
        }
    }

    private static IEnumerable<double> EnumerateRecall(double[,,,] recall, int a, int m)
    {
        for (int t = 0; t < recall.GetLength(0); t++)
            for (int c = 0; c < recall.GetLength(1); c++)
                yield return recall[t, c, a, m];
    }

    private static double MeanOfValid(IEnumerable<double> values)
    {
        double sum = 0;
        int count = 0;
        foreach (var v in values)
        {
            if (v <= -1) continue;
            sum += v;
            count++;
        }
        return count == 0 ? double.NaN : sum / count;
    }

    private static void Fill(Array array, double value)
    {
        var span = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.CompilerServices.Unsafe.As<byte, double>(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(array)), array.Length);
        span.Fill(value);
    }

    private static void CheckBox(BoundingBox box, int image, string parameter)
    {
        if (!float.IsFinite(box.X0) || !float.IsFinite(box.Y0) || !float.IsFinite(box.X1) || !float.IsFinite(box.Y1))
            throw new ArgumentException($"Image {image} has a box with a coordinate that is not finite: {box}.", parameter);
        if (box.X1 < box.X0 || box.Y1 < box.Y0)
            throw new ArgumentException($"Image {image} has an inverted box {box}: x1 must be >= x0 and y1 >= y0.", parameter);
    }
}
