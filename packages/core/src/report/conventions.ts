/**
 * The conventions section of the HTML report: how every number on the page was computed, so a reader
 * can reproduce it or compare it with another tool. Static markup, kept in step with DESIGN.md §1.
 */
export const CONVENTIONS_HTML = `
<dl class="conventions">
<dt>Groups</dt>
<dd>Each head output is in S (seen: the fine-tuning classes), U (absent: in the target label space but
not fine-tuned) or O (other). Calibrated scores are (z + γ·[c∈U]) / T.</dd>
<dt>Accuracies (percent)</dt>
<dd>A/B is the accuracy over rows labelled in A of the argmax restricted to the classes in B; Y as a
column set means every head output. H = 2·(S/Y)·(U/Y) / (S/Y + U/Y). A group with no rows shows a dash.</dd>
<dt>Tie rules</dt>
<dd>Inside a group the lowest class index wins. Between groups a row goes to U only if
max<sub>U</sub> + γ &gt; max<sub>S∪O</sub> strictly, so at γ equal to a row's threshold it stays in S∪O.
The GPU and CPU paths follow these rules bit for bit.</dd>
<dt>γ curve</dt>
<dd>Exact, not a grid: with the distinct thresholds t = max<sub>S∪O</sub> − max<sub>U</sub> sorted as
τ<sub>1</sub> &lt; … &lt; τ<sub>m</sub>, the curve has m+1 points at τ<sub>1</sub> − 1, the midpoints
(τ<sub>k</sub> + τ<sub>k+1</sub>)/2 and τ<sub>m</sub> + 1.</dd>
<dt>AUSUC (0–1)</dt>
<dd>Trapezoids along that exact path on a 0–1 scale, points in γ-ascending order:
Σ (seen<sub>k</sub> − seen<sub>k+1</sub>)·(unseen<sub>k</sub> + unseen<sub>k+1</sub>)/2. Points of equal seen
accuracy are taken in γ order, the path the curve follows; with O empty this equals the paper's AUC of its
curve when its points of equal seen accuracy are ordered along γ (its own sort leaves their order
unspecified).</dd>
<dt>ECE</dt>
<dd>Top-label expected calibration error as torchmetrics computes it: the confidence of a row is the
probability of its predicted class (under the tie rules above); 15 equal-width bins (lo, hi], confidence 0
in the first bin and 1.0 in the last; the bin-count-weighted mean of |accuracy − mean confidence|, on a 0–1
scale. Equal-mass bins, where shown, split the rows sorted by confidence into equal counts.</dd>
<dt>MCE, RMSCE and classwise ECE</dt>
<dd>MCE is the largest |accuracy − mean confidence| over the non-empty ECE bins, RMSCE the square root of
their row-weighted mean square: the same bins as ECE. Classwise ECE bins every class's probability over all
rows in the same equal-width bins, ECE<sub>c</sub> = Σ (n<sub>b</sub>/N)·|mean 1[y = c] − mean p<sub>c</sub>|,
averaged over the seen and absent classes (and reported over each group).</dd>
<dt>Top-k accuracy</dt>
<dd>A/B@k: rows labelled in A whose label is among the k highest scores of the classes in B, ties ranked
S∪O before U and then by lower index, as for the prediction itself.</dd>
<dt>Bootstrap intervals</dt>
<dd>Each replicate draws the evaluated rows with replacement (xoshiro128**, replicate r seeded from the
seed and r) and recomputes every metric from the per-row statistics of the one pass; γ of each method is
re-picked on the replicate's own curve. The interval is the 2.5th to 97.5th percentile of the replicates
(linear interpolation). On the reliability diagram the dark span on a bar is that bin's accuracy interval.</dd>
<dt>NLL and Brier</dt>
<dd>NLL: mean negative natural-log probability of the true label, in nats. Brier: mean over rows of the
squared distance between the probability vector and the one-hot label, summed over classes (0–2).</dd>
<dt>Logit-gap histogram</dt>
<dd>Bars count rows by threshold t, split by the group of their label; a vertical line at γ sends every
row to its left to U. Values beyond the axis (including ±∞) are counted in the panel's corner.</dd>
</dl>`;
