namespace MLNet.CSP.Detection;

/// <summary>
/// The detector's anchor priors (width, height in input pixels), sorted by area: 3 per scale, the smallest at stride 8.
/// </summary>
public sealed class AnchorBoxes
{
    /// <summary>Anchors per scale.</summary>
    public const int PerScale = 3;

    /// <summary>YOLOv3's COCO anchors for a 416 x 416 input (the authors' csdarknet53-panet-spp.cfg uses the same).</summary>
    public static IReadOnlyList<(float Width, float Height)> Coco416 { get; } =
        [(10, 13), (16, 30), (33, 23), (30, 61), (62, 45), (59, 119), (116, 90), (156, 198), (373, 326)];

    /// <summary>Creates the set from 9 anchors (any order; they are sorted by area).</summary>
    /// <exception cref="ArgumentException">Not 9 anchors, or one is not a finite positive size.</exception>
    public AnchorBoxes(IEnumerable<(float Width, float Height)> anchors)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        var list = anchors.ToList();
        if (list.Count != PerScale * DetectionNeck.OutputStrides.Count)
            throw new ArgumentException($"Give {PerScale * DetectionNeck.OutputStrides.Count} anchors (3 per scale); got {list.Count}.", nameof(anchors));
        if (list.Any(a => !(a.Width > 0) || !(a.Height > 0) || !float.IsFinite(a.Width) || !float.IsFinite(a.Height)))
            throw new ArgumentException($"Anchor sizes must be finite and positive; got {string.Join(", ", list)}.", nameof(anchors));
        Sizes = [.. list.OrderBy(a => (double)a.Width * a.Height)];
    }

    /// <summary>The 9 anchors, by area.</summary>
    public IReadOnlyList<(float Width, float Height)> Sizes { get; }

    /// <summary>The anchors of scale <paramref name="scale"/> (0: stride 8, 1: 16, 2: 32).</summary>
    public IReadOnlyList<(float Width, float Height)> OfScale(int scale) => Sizes.Skip(PerScale * scale).Take(PerScale).ToArray();

    /// <summary>YOLOv3's COCO anchors scaled from 416 to <paramref name="imageSize"/>.</summary>
    public static AnchorBoxes CocoFor(int imageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 32);
        float f = imageSize / 416f;
        return new AnchorBoxes(Coco416.Select(a => (a.Width * f, a.Height * f)));
    }

    /// <summary>Intersection over union of two sizes placed at the same centre (YOLO's anchor matching).</summary>
    public static double ShapeIou((float Width, float Height) a, (float Width, float Height) b)
    {
        double inter = Math.Min(a.Width, b.Width) * (double)Math.Min(a.Height, b.Height);
        return inter / ((double)a.Width * a.Height + (double)b.Width * b.Height - inter);
    }

    /// <summary>The index (0-8) of the anchor whose shape best fits a box of this size; the first wins ties (as darknet).</summary>
    public int BestAnchor(float width, float height)
    {
        int best = 0;
        double bestIou = -1;
        for (int i = 0; i < Sizes.Count; i++)
        {
            double iou = ShapeIou((width, height), Sizes[i]);
            if (iou > bestIou) (best, bestIou) = (i, iou);
        }
        return best;
    }

    /// <summary>
    /// k-means with 1 - IoU as the distance (YOLOv2's anchor clustering) on box sizes, seeded: k-means++ start, then
    /// assignment and median-free mean updates until nothing moves (at most 300 rounds). Falls back to
    /// <see cref="CocoFor"/> with fewer than 9 distinct sizes.
    /// </summary>
    public static AnchorBoxes Cluster(IReadOnlyList<(float Width, float Height)> boxes, int imageSize, int seed)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        int k = PerScale * DetectionNeck.OutputStrides.Count;
        var sizes = boxes.Where(b => b.Width > 0 && b.Height > 0).ToArray();
        if (sizes.Distinct().Count() < k) return CocoFor(imageSize);
        var random = new Random(seed);
        var centres = new List<(float Width, float Height)> { sizes[random.Next(sizes.Length)] };
        var distance = new double[sizes.Length];
        while (centres.Count < k)
        {
            for (int i = 0; i < sizes.Length; i++) distance[i] = centres.Min(c => Math.Pow(1 - ShapeIou(sizes[i], c), 2));
            double pick = random.NextDouble() * distance.Sum();
            int chosen = 0;
            for (double run = distance[0]; run < pick && chosen < sizes.Length - 1; run += distance[++chosen]) { }
            centres.Add(sizes[chosen]);
        }
        var assignment = new int[sizes.Length];
        for (int round = 0; round < 300; round++)
        {
            bool moved = false;
            for (int i = 0; i < sizes.Length; i++)
            {
                int best = 0;
                for (int c = 1; c < k; c++)
                    if (ShapeIou(sizes[i], centres[c]) > ShapeIou(sizes[i], centres[best])) best = c;
                if (round == 0 || assignment[i] != best) moved = true;
                assignment[i] = best;
            }
            if (!moved) break;
            for (int c = 0; c < k; c++)
            {
                var members = Enumerable.Range(0, sizes.Length).Where(i => assignment[i] == c).ToArray();
                if (members.Length == 0) continue;
                centres[c] = ((float)members.Average(i => sizes[i].Width), (float)members.Average(i => sizes[i].Height));
            }
        }
        return new AnchorBoxes(centres);
    }
}
