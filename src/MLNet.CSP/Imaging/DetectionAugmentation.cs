using MLNet.CSP.Detection;

namespace MLNet.CSP.Imaging;

/// <summary>
/// The detection trainers' image augmentations on square input images [3, S, S] (float, 0..1) with boxes in input pixels:
/// mosaic (four images around a random centre of a 2S canvas), random scale and translation with the boxes mapped, clipped
/// and dropped when too little of them is left, HSV jitter, left-right flip. Every draw comes from the caller's
/// <see cref="Random"/> in a fixed order, so a seed gives the same batches. Uncovered pixels are grey 114 (the letterbox's).
/// </summary>
internal static class DetectionAugmentation
{
    /// <summary>The letterbox grey, 114/255.</summary>
    public const float Grey = 114f / 255f;

    /// <summary>Smallest side (input pixels) of a box kept after augmentation.</summary>
    private const float MinimumSide = 2f;

    /// <summary>Smallest share of a box's transformed area still inside the image for it to be kept.</summary>
    private const double MinimumVisible = 0.1;

    /// <summary>
    /// Four images on a 2S x 2S grey canvas around a centre drawn in [S/2, 3S/2): the first image top-left, then the
    /// three others clockwise (top-right, bottom-left, bottom-right); boxes shifted with their image and clipped to the canvas.
    /// </summary>
    public static (Tensor Canvas, List<LabeledBox> Boxes) Mosaic(IReadOnlyList<(Tensor Image, IReadOnlyList<LabeledBox> Boxes)> four, int size, Random random)
    {
        if (four.Count != 4) throw new ArgumentException("A mosaic takes four images.", nameof(four));
        int s = size, xc = s / 2 + random.Next(s), yc = s / 2 + random.Next(s);
        var canvas = torch.full(3, 2 * s, 2 * s, Grey, dtype: four[0].Image.dtype);
        var boxes = new List<LabeledBox>();
        for (int k = 0; k < 4; k++)
        {
            int x1a, y1a, x2a, y2a, x1b, y1b, x2b, y2b;
            switch (k)
            {
                case 0: (x1a, y1a, x2a, y2a) = (Math.Max(xc - s, 0), Math.Max(yc - s, 0), xc, yc); (x1b, y1b, x2b, y2b) = (s - (x2a - x1a), s - (y2a - y1a), s, s); break;
                case 1: (x1a, y1a, x2a, y2a) = (xc, Math.Max(yc - s, 0), Math.Min(xc + s, 2 * s), yc); (x1b, y1b, x2b, y2b) = (0, s - (y2a - y1a), Math.Min(s, x2a - x1a), s); break;
                case 2: (x1a, y1a, x2a, y2a) = (Math.Max(xc - s, 0), yc, xc, Math.Min(2 * s, yc + s)); (x1b, y1b, x2b, y2b) = (s - (x2a - x1a), 0, s, Math.Min(y2a - y1a, s)); break;
                default: (x1a, y1a, x2a, y2a) = (xc, yc, Math.Min(xc + s, 2 * s), Math.Min(2 * s, yc + s)); (x1b, y1b, x2b, y2b) = (0, 0, Math.Min(s, x2a - x1a), Math.Min(y2a - y1a, s)); break;
            }
            if (x2a <= x1a || y2a <= y1a) continue;
            using (var target = canvas.narrow(1, y1a, y2a - y1a).narrow(2, x1a, x2a - x1a))
            using (var source = four[k].Image.narrow(1, y1b, y2b - y1b).narrow(2, x1b, x2b - x1b))
                target.copy_(source);
            float dx = x1a - x1b, dy = y1a - y1b;
            foreach (var b in four[k].Boxes)
            {
                var moved = new BoundingBox(Math.Clamp(b.Box.X0 + dx, 0, 2 * s), Math.Clamp(b.Box.Y0 + dy, 0, 2 * s),
                    Math.Clamp(b.Box.X1 + dx, 0, 2 * s), Math.Clamp(b.Box.Y1 + dy, 0, 2 * s));
                if (moved.Width > 0 && moved.Height > 0) boxes.Add(b with { Box = moved });
            }
        }
        return (canvas, boxes);
    }

    /// <summary>
    /// Scales the image [3, H, W] about its centre by a factor drawn from [1 - <paramref name="scale"/>, 1 + <paramref name="scale"/>]
    /// and places that centre at a point drawn within <paramref name="translate"/> x <paramref name="size"/> of the output's
    /// centre, into a <paramref name="size"/> x <paramref name="size"/> output (bilinear; grey outside). Boxes are mapped and
    /// clipped; a box left with a side under 2 pixels or under a tenth of its area is dropped.
    /// </summary>
    public static (Tensor Image, List<LabeledBox> Boxes) RandomAffine(Tensor image, IReadOnlyList<LabeledBox> boxes, int size,
        double scale, double translate, Random random)
    {
        long height = image.shape[1], width = image.shape[2];
        double s = 1 - scale + 2 * scale * random.NextDouble();
        double tx = (0.5 - translate + 2 * translate * random.NextDouble()) * size;
        double ty = (0.5 - translate + 2 * translate * random.NextDouble()) * size;
        double cx = width / 2.0, cy = height / 2.0;
        Tensor output;
        using (var scope = torch.NewDisposeScope())
        {
            // Output point p maps from input point (p - t) / s + c; in grid_sample's normalised coordinates (align_corners false).
            var theta = torch.tensor(new float[]
            {
                (float)(size / (width * s)), 0, (float)(2 / (double)width * ((size / 2.0 - tx) / s + cx) - 1),
                0, (float)(size / (height * s)), (float)(2 / (double)height * ((size / 2.0 - ty) / s + cy) - 1),
            }, dtype: image.dtype).reshape(1, 2, 3);
            var grid = nn.functional.affine_grid(theta, [1, 3, size, size], align_corners: false);
            var shifted = (image - Grey).unsqueeze(0);
            output = (nn.functional.grid_sample(shifted, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false) + Grey)
                .squeeze(0).MoveToOuterDisposeScope();
        }
        var kept = new List<LabeledBox>(boxes.Count);
        foreach (var b in boxes)
        {
            double x0 = s * (b.Box.X0 - cx) + tx, y0 = s * (b.Box.Y0 - cy) + ty, x1 = s * (b.Box.X1 - cx) + tx, y1 = s * (b.Box.Y1 - cy) + ty;
            double area = (x1 - x0) * (y1 - y0);
            var clipped = new BoundingBox((float)Math.Clamp(x0, 0, size), (float)Math.Clamp(y0, 0, size), (float)Math.Clamp(x1, 0, size), (float)Math.Clamp(y1, 0, size));
            if (clipped.Width > MinimumSide && clipped.Height > MinimumSide && clipped.Area > MinimumVisible * area) kept.Add(b with { Box = clipped });
        }
        return (output, kept);
    }

    /// <summary>
    /// Random gains of hue, saturation and value, each drawn from [1 - g, 1 + g] for g = <paramref name="hue"/>,
    /// <paramref name="saturation"/>, <paramref name="value"/> (YOLO's HSV augmentation): value scales the pixels, saturation
    /// scales each pixel's distance from its largest channel, hue rotates the colours about the grey axis by
    /// (gain - 1) x 360 degrees. In place on [3, H, W]; clipped to 0..1.
    /// </summary>
    public static void HsvJitter(Tensor image, double hue, double saturation, double value, Random random)
    {
        double rh = 1 + hue * (2 * random.NextDouble() - 1), rs = 1 + saturation * (2 * random.NextDouble() - 1), rv = 1 + value * (2 * random.NextDouble() - 1);
        using var scope = torch.NewDisposeScope();
        image.mul_(rv);
        var brightest = image.amax([0], keepdim: true);
        image.sub_(brightest).mul_(rs).add_(brightest);
        double angle = (rh - 1) * 2 * Math.PI;
        if (angle != 0)
        {
            double c = Math.Cos(angle), k = (1 - c) / 3, r = Math.Sqrt(1.0 / 3) * Math.Sin(angle);
            var rotation = torch.tensor(new float[]
            {
                (float)(c + k), (float)(k - r), (float)(k + r),
                (float)(k + r), (float)(c + k), (float)(k - r),
                (float)(k - r), (float)(k + r), (float)(c + k),
            }, dtype: image.dtype).reshape(3, 3);
            var rotated = torch.matmul(rotation, image.reshape(3, -1)).reshape(image.shape);
            image.copy_(rotated);
        }
        image.clamp_(0, 1);
    }

    /// <summary>The image [3, H, W] mirrored left-right with its boxes (in a W-wide image).</summary>
    public static (Tensor Image, List<LabeledBox> Boxes) Flip(Tensor image, IReadOnlyList<LabeledBox> boxes)
    {
        float width = image.shape[2];
        return (image.flip(2), [.. boxes.Select(b => b with { Box = new BoundingBox(width - b.Box.X1, b.Box.Y0, width - b.Box.X0, b.Box.Y1) })]);
    }
}
