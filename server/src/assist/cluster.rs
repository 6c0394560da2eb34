//! Average-linkage agglomerative clustering over the cosine distance of embeddings (1 − the
//! dot product of unit vectors): every card starts alone, the two closest groups merge, and
//! the distance between groups is the average over their pairs of cards. On short
//! multilingual cards it finds the same themes people do far better than word counts.
//!
//! Built with the nearest-neighbour chain (O(n²) time, one n×n matrix), valid because average
//! linkage never makes a merged group closer to a third than its parts were; the merges are
//! then sorted by distance, and a cut keeps either a number of groups or the merges below a
//! distance.

use cocreate_sense::Embedding;

/// One merge of two groups, each named by one of its cards (an index into the input).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Merge {
    pub a: usize,
    pub b: usize,
    /// The average cosine distance between the two groups' cards.
    pub distance: f32,
}

/// Where to cut the tree of merges.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cut {
    /// Into this many groups (fewer only if there are fewer cards).
    Groups(usize),
    /// Merging only groups closer than this average distance.
    Distance(f32),
}

/// The merges of average-linkage clustering of `vectors`, closest first: `n − 1` of them.
pub fn average_linkage(vectors: &[Embedding]) -> Vec<Merge> {
    let n = vectors.len();
    let mut distance = vec![0f32; n * n];
    for i in 0..n {
        for j in (i + 1)..n {
            let dot: f32 = vectors[i].iter().zip(&vectors[j]).map(|(x, y)| x * y).sum();
            // A vector that is not one (NaN) is as far from everything as can be.
            let d = if dot.is_nan() { 2.0 } else { 1.0 - dot };
            distance[i * n + j] = d;
            distance[j * n + i] = d;
        }
    }
    let mut size = vec![1usize; n];
    let mut active = vec![true; n];
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    while merges.len() + 1 < n {
        if chain.is_empty() {
            chain.extend(active.iter().position(|&a| a));
        }
        // Follow nearest neighbours until two are each other's nearest.
        let (a, b) = loop {
            let a = chain[chain.len() - 1];
            let previous = chain.len().checked_sub(2).map(|i| chain[i]);
            // The previous link wins ties, so that the chain always ends.
            let mut best = previous;
            let mut best_distance = previous.map_or(f32::INFINITY, |p| distance[a * n + p]);
            for j in (0..n).filter(|&j| active[j] && j != a) {
                if distance[a * n + j] < best_distance {
                    best = Some(j);
                    best_distance = distance[a * n + j];
                }
            }
            let Some(b) = best else {
                unreachable!("two groups are active while merges remain")
            };
            if Some(b) == previous {
                chain.truncate(chain.len() - 2);
                break (a, b);
            }
            chain.push(b);
        };
        merges.push(Merge {
            a,
            b,
            distance: distance[a * n + b],
        });
        // The merged group lives on at `a`; its distances are the size-weighted averages.
        let (size_a, size_b) = (size[a] as f32, size[b] as f32);
        for k in (0..n).filter(|&k| active[k] && k != a && k != b) {
            let merged =
                (size_a * distance[a * n + k] + size_b * distance[b * n + k]) / (size_a + size_b);
            distance[a * n + k] = merged;
            distance[k * n + a] = merged;
        }
        size[a] += size[b];
        active[b] = false;
    }
    merges.sort_by(|x, y| x.distance.total_cmp(&y.distance));
    merges
}

/// The groups of `n` cards after the merges that `cut` keeps, largest first (ties by their
/// first card), each listing its cards in input order.
pub fn cut(n: usize, merges: &[Merge], cut: Cut) -> Vec<Vec<usize>> {
    let kept = match cut {
        Cut::Groups(groups) => n.saturating_sub(groups.max(1)),
        Cut::Distance(limit) => merges.iter().take_while(|m| m.distance < limit).count(),
    };
    let mut parent: Vec<usize> = (0..n).collect();
    for merge in &merges[..kept.min(merges.len())] {
        let (a, b) = (root(&mut parent, merge.a), root(&mut parent, merge.b));
        parent[a.max(b)] = a.min(b);
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of_root = vec![usize::MAX; n];
    for card in 0..n {
        let r = root(&mut parent, card);
        if group_of_root[r] == usize::MAX {
            group_of_root[r] = groups.len();
            groups.push(Vec::new());
        }
        groups[group_of_root[r]].push(card);
    }
    // Stable: equal sizes keep the order of their first cards.
    groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
    groups
}

/// The root of `i`'s set, halving the path on the way.
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit vector at `angle` radians in the first plane.
    fn at(angle: f32) -> Embedding {
        let mut v = [0f32; cocreate_sense::DIM];
        v[0] = angle.cos();
        v[1] = angle.sin();
        v
    }

    #[test]
    fn close_cards_merge_first_and_cuts_keep_the_groups_asked_for() {
        let vectors = [at(0.0), at(1.5), at(0.05), at(1.52), at(0.1)];
        let merges = average_linkage(&vectors);
        assert_eq!(merges.len(), 4);
        assert!(merges.windows(2).all(|w| w[0].distance <= w[1].distance));
        assert_eq!(
            cut(5, &merges, Cut::Groups(2)),
            vec![vec![0, 2, 4], vec![1, 3]]
        );
        assert_eq!(cut(5, &merges, Cut::Groups(1)), vec![vec![0, 1, 2, 3, 4]]);
        assert_eq!(cut(5, &merges, Cut::Groups(9)).len(), 5);
        assert_eq!(cut(5, &merges, Cut::Distance(0.1)).len(), 2);
        assert_eq!(cut(5, &merges, Cut::Distance(0.0)).len(), 5);
    }

    #[test]
    fn the_average_of_pairs_is_the_distance_between_groups() {
        // {0, 1} merge first; the distance to 2 is the mean of both cards' distances to it.
        let vectors = [at(0.0), at(0.2), at(1.0)];
        let merges = average_linkage(&vectors);
        let expected = ((1.0 - 1f32.cos()) + (1.0 - 0.8f32.cos())) / 2.0;
        assert!((merges[1].distance - expected).abs() < 1e-5, "{merges:?}");
    }

    #[test]
    fn a_vector_that_is_not_one_stays_alone() {
        let mut broken = at(0.0);
        broken[0] = f32::NAN;
        let merges = average_linkage(&[at(0.0), broken, at(0.1)]);
        assert_eq!(cut(3, &merges, Cut::Groups(2)), vec![vec![0, 2], vec![1]]);
    }

    #[test]
    fn no_card_and_one_card_make_no_merge() {
        assert!(average_linkage(&[]).is_empty());
        assert!(average_linkage(&[at(0.0)]).is_empty());
        assert_eq!(cut(1, &[], Cut::Groups(3)), vec![vec![0]]);
        assert!(cut(0, &[], Cut::Groups(3)).is_empty());
    }
}
